namespace LossLandscape.Landscape;

/// <summary>
/// One shard of a barrier matrix: its share of the points (pair, coefficient), what they were computed from (a
/// fingerprint), and their values. Point p is coefficient p mod |alphas| of pair p div |alphas| (pairs in
/// <see cref="BarrierMatrix.PairsOf"/> order). Enough to merge without the checkpoints or the data (<see cref="BarrierShards.Merge"/>).
/// </summary>
/// <param name="Format">The shard file format version.</param>
/// <param name="ShardOf">Always <c>barriers</c> (tells the shard kinds apart).</param>
/// <param name="Fingerprint">SHA-256 of the inputs (<see cref="BarrierShards.Fingerprint"/>).</param>
/// <param name="Checkpoints">The models' labels.</param>
/// <param name="Alphas">The coefficients of every line.</param>
/// <param name="Shard">Which shard this is, over the points.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="HasTest">Whether test values were measured.</param>
/// <param name="Points">This shard's points (Index: the point's index over all pairs), in index order.</param>
public sealed record BarrierShard(int Format, string ShardOf, string Fingerprint, string[] Checkpoints, double[] Alphas, ShardSpec Shard, string BatchNorm,
    string Loss, bool HasTest, IReadOnlyList<LinePointValue> Points)
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>The value of <see cref="ShardOf"/>.</summary>
    public const string Kind = "barriers";

    /// <summary>Points of the whole matrix: pairs x coefficients.</summary>
    public int Total => BarrierMatrix.PairsOf(Checkpoints.Length).Count * Alphas.Length;
}
