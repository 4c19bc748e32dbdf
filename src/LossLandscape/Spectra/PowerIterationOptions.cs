namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="PowerIteration"/>.</summary>
/// <param name="Top">How many eigenvalues of largest magnitude to compute.</param>
/// <param name="Bottom">How many of the smallest (algebraic) eigenvalues to compute, by power iteration on s I - A with s = |lambda|_max.</param>
/// <param name="Tolerance">Stop one eigenvalue when |lambda_t - lambda_{t-1}| / (|lambda_{t-1}| + 1e-6) &lt; Tolerance (PyHessian's rule).</param>
/// <param name="MaxIterations">Most iterations per eigenvalue.</param>
/// <param name="Seed">Seed of the Gaussian start vectors.</param>
/// <param name="ReturnEigenvectors">Also return the eigenvector estimates.</param>
public sealed record PowerIterationOptions(
    int Top = 1,
    int Bottom = 0,
    double Tolerance = 1e-6,
    int MaxIterations = 1000,
    long Seed = 0,
    bool ReturnEigenvectors = false);
