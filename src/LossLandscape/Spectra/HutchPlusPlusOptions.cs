namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="HutchPlusPlus"/>.</summary>
/// <param name="Applications">Operator applications in all (at least 4): r = floor(m / 3) for the sketch, r for the low-rank part, m - 2 r residual probes.</param>
/// <param name="Confidence">Level of the two-sided Student-t interval, in (0, 1).</param>
/// <param name="Seed">Seed of the sketch and the probes.</param>
/// <param name="Diagonal">Also estimate the diagonal (the same decomposition, elementwise).</param>
public sealed record HutchPlusPlusOptions(int Applications = 99, double Confidence = 0.95, long Seed = 0, bool Diagonal = false);
