namespace LossLandscape.Spectra;

/// <summary>A smoothed eigenvalue density estimated by stochastic Lanczos quadrature.</summary>
/// <param name="Grid">Points t_g, evenly spaced from min node - 7 sigma to max node + 7 sigma (the Gaussian tails beyond hold less than 3e-12).</param>
/// <param name="Density">phi(t_g), normalized so that the trapezoid rule over the grid gives 1.</param>
/// <param name="Sigma">The broadening used.</param>
/// <param name="Probes">The quadrature rule of every probe.</param>
/// <param name="Mean">The density's mean, trapezoid rule of t phi(t) over the grid; estimates tr(A) / n.</param>
/// <param name="TraceEstimate">n (1/N) sum_k sum_j tau_kj theta_kj, the quadrature estimate of tr(A).</param>
/// <param name="Dimension">n.</param>
/// <param name="Applications">Operator applications, summed over probes.</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record SpectralDensityResult(
    double[] Grid,
    double[] Density,
    double Sigma,
    IReadOnlyList<QuadratureRule> Probes,
    double Mean,
    double TraceEstimate,
    long Dimension,
    long Applications,
    double Seconds)
{
    /// <summary>Pointwise standard error of the density over probes: s_g / sqrt(N), s_g the sample standard deviation of the probes' densities phi_k(t_g) (0 with one probe).</summary>
    public double[] DensityStandardError { get; init; } = Array.Empty<double>();

    /// <summary>Lower edge of the pointwise band: max(0, phi - q s_g / sqrt(N)), q the Student-t quantile with N - 1 degrees of freedom (phi itself with one probe).</summary>
    public double[] DensityLower { get; init; } = Array.Empty<double>();

    /// <summary>Upper edge of the pointwise band: phi + q s_g / sqrt(N).</summary>
    public double[] DensityUpper { get; init; } = Array.Empty<double>();

    /// <summary>The band's level.</summary>
    public double Confidence { get; init; }

    /// <summary>Standard error of <see cref="TraceEstimate"/> over probes: n s / sqrt(N), s the sample standard deviation of sum_j tau_kj theta_kj.</summary>
    public double TraceStandardError { get; init; }
}
