namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="Lanczos"/>.</summary>
/// <param name="Top">How many of the largest (algebraic) eigenvalues to compute.</param>
/// <param name="Bottom">How many of the smallest (algebraic) eigenvalues to compute.</param>
/// <param name="Tolerance">Stop when every requested Ritz pair has residual r_i &lt;= Tolerance * max_j |theta_j| (restarted runs lock only pairs converged to rounding).</param>
/// <param name="MaxIterations">Most Lanczos steps (operator applications); null: max(200, 10 k + 100) with a restarted basis, min(n, max(100, 4 k + 40)) with the full basis (k = Top + Bottom).</param>
/// <param name="Reorthogonalization">How the basis is kept orthogonal (default partial: only when the estimated loss of orthogonality needs it).</param>
/// <param name="Seed">Seed of the Gaussian start vector.</param>
/// <param name="ReturnEigenvectors">Also return the Ritz vectors (unit eigenvector estimates).</param>
/// <param name="BasisSize">Vectors m of the thick-restart basis (memory: m + 2 vectors); null: ARPACK's max(2 k + 1, 20); <see cref="FullBasis"/>: never restart (one vector per step).</param>
/// <param name="Checkpoint">Write the state to a folder every few steps and resume from it (null: no state is written).</param>
public sealed record LanczosOptions(
    int Top = 1,
    int Bottom = 0,
    double Tolerance = 1e-6,
    int? MaxIterations = null,
    Reorthogonalization Reorthogonalization = Reorthogonalization.Partial,
    long Seed = 0,
    bool ReturnEigenvectors = false,
    int? BasisSize = null,
    CheckpointOptions? Checkpoint = null)
{
    /// <summary>A basis size that means: keep every Lanczos vector, never restart.</summary>
    public const int FullBasis = int.MaxValue;

    /// <summary>ARPACK's default basis size for k wanted eigenvalues: max(2 k + 1, 20).</summary>
    public static int DefaultBasisSize(int k) => Math.Max(2 * k + 1, 20);
}
