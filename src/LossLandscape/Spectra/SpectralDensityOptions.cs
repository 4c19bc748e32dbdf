namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="SpectralDensity"/>.</summary>
/// <param name="Probes">Number of random start vectors (independent Lanczos runs).</param>
/// <param name="Steps">Lanczos steps per probe (quadrature nodes per probe), at most n.</param>
/// <param name="Sigma">Standard deviation of the Gaussian broadening; null: 1% of the node range (max - min).</param>
/// <param name="GridPoints">Points of the output grid (at least 2).</param>
/// <param name="Seed">Seed of the probes.</param>
/// <param name="Reorthogonalization">How each Lanczos run keeps its basis orthogonal (default partial).</param>
/// <param name="Confidence">Level of the pointwise band over probes, in (0, 1).</param>
/// <param name="Checkpoint">Write the state (probes done, the current probe's basis, the random stream) to a folder every few steps and resume from it.</param>
public sealed record SpectralDensityOptions(
    int Probes = 10,
    int Steps = 80,
    double? Sigma = null,
    int GridPoints = 1000,
    long Seed = 0,
    Reorthogonalization Reorthogonalization = Reorthogonalization.Partial,
    double Confidence = 0.95,
    CheckpointOptions? Checkpoint = null);
