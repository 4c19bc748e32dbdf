namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="Hutchinson"/>.</summary>
/// <param name="Probes">Number of Rademacher probe vectors (at least 2, for the interval).</param>
/// <param name="Confidence">Level of the two-sided Student-t interval, in (0, 1).</param>
/// <param name="Seed">Seed of the probes.</param>
/// <param name="Diagonal">Also estimate the diagonal from the same probes.</param>
public sealed record HutchinsonOptions(int Probes = 100, double Confidence = 0.95, long Seed = 0, bool Diagonal = false);
