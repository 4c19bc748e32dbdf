using LossLandscape.Landscape;

namespace LossLandscape.Spectra;

/// <summary>
/// One shard of a stochastic Lanczos quadrature density: which probes it holds (shard i of n of the probe indices), what
/// they were computed from (a fingerprint), and each probe's quadrature rule. Enough to merge without the model or the data
/// (<see cref="DensityShards.Merge"/>).
/// </summary>
/// <param name="Format">The shard file format version.</param>
/// <param name="ShardOf">Always <c>density</c> (tells the shard kinds apart).</param>
/// <param name="Fingerprint">SHA-256 of the inputs (<see cref="DensityShards.Fingerprint"/>).</param>
/// <param name="Shard">Which shard this is, over the probe indices.</param>
/// <param name="Probes">Probes of the whole density.</param>
/// <param name="Steps">Lanczos steps per probe (as asked).</param>
/// <param name="Seed">The seed of the probes.</param>
/// <param name="Sigma">The broadening asked for (null: 1% of the node range).</param>
/// <param name="GridPoints">Points of the output grid.</param>
/// <param name="Confidence">Level of the band.</param>
/// <param name="Reorthogonalization">How each Lanczos run kept its basis orthogonal.</param>
/// <param name="Operator">The operator's name (hessian, ggn, residual).</param>
/// <param name="Parameters">The operator's dimension n.</param>
/// <param name="Examples">Examples the operator averages over.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="Loss">The mean loss at the weights (null in a partial file).</param>
/// <param name="Seconds">Time spent computing this shard's probes.</param>
/// <param name="Points">This shard's probes, in index order.</param>
public sealed record DensityShard(int Format, string ShardOf, string Fingerprint, ShardSpec Shard, int Probes, int Steps, long Seed, double? Sigma, int GridPoints,
    double Confidence, Reorthogonalization Reorthogonalization, string Operator, long Parameters, long Examples, string Dtype, double? Loss, double Seconds,
    IReadOnlyList<DensityProbeValue> Points)
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>The value of <see cref="ShardOf"/>.</summary>
    public const string Kind = "density";

    /// <summary>The density options these probes were computed with (no checkpoint).</summary>
    public SpectralDensityOptions Options() => new(Probes, Steps, Sigma, GridPoints, Seed, Reorthogonalization, Confidence);
}
