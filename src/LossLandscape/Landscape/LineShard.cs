using System.Globalization;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>
/// One shard of a line scan between two models: every coefficient, which shard it is, a fingerprint of the inputs,
/// and the values of this shard's coefficients. Shards are merged by <see cref="LineMerge.Merge"/>.
/// </summary>
/// <param name="Format">The shard file format version.</param>
/// <param name="Fingerprint">SHA-256 of the inputs (<see cref="LineShards.Fingerprint"/>).</param>
/// <param name="Alphas">All coefficients of the scan.</param>
/// <param name="Shard">Which shard this is (over the coefficients' indices).</param>
/// <param name="NormPreserving">Whether the norm-preserving variant was used.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="HasTest">Whether test values were measured.</param>
/// <param name="NormA">|theta_A|.</param>
/// <param name="NormB">|theta_B|.</param>
/// <param name="Points">This shard's points, in index order.</param>
public sealed record LineShard(int Format, string Fingerprint, double[] Alphas, ShardSpec Shard, bool NormPreserving, string BatchNorm, string Loss,
    bool HasTest, double NormA, double NormB, IReadOnlyList<LinePointValue> Points)
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;
}
