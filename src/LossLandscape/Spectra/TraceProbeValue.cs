namespace LossLandscape.Spectra;

/// <summary>One Hutchinson probe's result (<see cref="Hutchinson.Sample"/>), as a trace shard stores it.</summary>
/// <param name="Index">The probe's index k (its vector depends only on the seed and k).</param>
/// <param name="Sample">z_k . A z_k.</param>
/// <param name="Blocks">Per segment (parameter tensor), the sum of z_k * A z_k over its entries.</param>
public sealed record TraceProbeValue(int Index, double Sample, double[] Blocks);
