namespace LossLandscape.Spectra;

/// <summary>One SLQ probe's result (<see cref="SpectralDensity.Probe"/>), as a density shard stores it.</summary>
/// <param name="Index">The probe's index k (its start vector depends only on the seed and k).</param>
/// <param name="Nodes">Ritz values theta_kj, ascending.</param>
/// <param name="Weights">Their weights tau_kj (sum 1).</param>
/// <param name="Applications">Operator applications (Lanczos steps) of this probe.</param>
public sealed record DensityProbeValue(int Index, double[] Nodes, double[] Weights, long Applications);
