using LossLandscape.Landscape;

namespace LossLandscape.Spectra;

/// <summary>
/// One shard of a Hutchinson trace estimate: which probes it holds (shard i of n of the probe indices), what they were
/// computed from (a fingerprint), and each probe's sample and per-parameter sums. Enough to merge without the model or
/// the data (<see cref="TraceShards.Merge"/>).
/// </summary>
/// <param name="Format">The shard file format version.</param>
/// <param name="ShardOf">Always <c>trace</c> (tells the shard kinds apart).</param>
/// <param name="Fingerprint">SHA-256 of the inputs (<see cref="TraceShards.Fingerprint"/>).</param>
/// <param name="Shard">Which shard this is, over the probe indices.</param>
/// <param name="Probes">Probes of the whole estimate.</param>
/// <param name="Seed">The seed of the probes.</param>
/// <param name="Confidence">Level of the interval.</param>
/// <param name="Operator">The operator's name (hessian, ggn, residual).</param>
/// <param name="Parameters">The operator's dimension n.</param>
/// <param name="Examples">Examples the operator averages over.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="BlockNames">The parameter tensors whose traces <see cref="TraceProbeValue.Blocks"/> hold, in that order.</param>
/// <param name="Loss">The mean loss at the weights (null in a partial file).</param>
/// <param name="Seconds">Time spent computing this shard's probes.</param>
/// <param name="Points">This shard's probes, in index order.</param>
public sealed record TraceShard(int Format, string ShardOf, string Fingerprint, ShardSpec Shard, int Probes, long Seed, double Confidence,
    string Operator, long Parameters, long Examples, string Dtype, string[] BlockNames, double? Loss, double Seconds, IReadOnlyList<TraceProbeValue> Points)
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>The value of <see cref="ShardOf"/>.</summary>
    public const string Kind = "trace";
}
