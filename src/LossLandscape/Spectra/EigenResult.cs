using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Extreme eigenvalues of a symmetric operator, with convergence diagnostics.</summary>
/// <param name="Method"><c>lanczos</c> or <c>power</c>.</param>
/// <param name="Eigenvalues">The top eigenvalues, descending (power iteration: the largest in magnitude, in the order found).</param>
/// <param name="Bottom">The bottom eigenvalues, ascending (empty unless asked for).</param>
/// <param name="Residuals">|A y_i - theta_i y_i| for each top eigenpair (Lanczos: the estimate beta_m |s_{m,i}|, exact in exact arithmetic with full reorthogonalization).</param>
/// <param name="BottomResiduals">The same for the bottom eigenpairs.</param>
/// <param name="Applications">Operator applications used.</param>
/// <param name="Iterations">Lanczos steps, or power iterations summed over all eigenvalues.</param>
/// <param name="Converged">Every requested eigenvalue met the tolerance.</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record EigenResult(
    string Method,
    double[] Eigenvalues,
    double[] Bottom,
    double[] Residuals,
    double[] BottomResiduals,
    long Applications,
    int Iterations,
    bool Converged,
    double Seconds)
{
    /// <summary>Unit eigenvectors of <see cref="Eigenvalues"/>, in the same order (null unless asked for); the caller owns them.</summary>
    [JsonIgnore]
    public IReadOnlyList<Tensor>? Eigenvectors { get; init; }

    /// <summary>Unit eigenvectors of <see cref="Bottom"/>, in the same order (null unless asked for); the caller owns them.</summary>
    [JsonIgnore]
    public IReadOnlyList<Tensor>? BottomEigenvectors { get; init; }

    /// <summary>Lanczos: vectors m of the thick-restart basis (0: the full basis, never restarted).</summary>
    public int BasisSize { get; init; }

    /// <summary>Lanczos: thick restarts done.</summary>
    public int Restarts { get; init; }

    /// <summary>Lanczos: Gram-Schmidt passes against the whole basis.</summary>
    public int Reorthogonalizations { get; init; }
}

/// <summary>One progress report of an eigenvalue iteration.</summary>
/// <param name="Iteration">Steps done so far.</param>
/// <param name="Top">Current top estimates, descending.</param>
/// <param name="Bottom">Current bottom estimates, ascending.</param>
/// <param name="TopResiduals">Residual estimates of <paramref name="Top"/>.</param>
/// <param name="BottomResiduals">Residual estimates of <paramref name="Bottom"/>.</param>
public sealed record EigenProgress(int Iteration, double[] Top, double[] Bottom, double[] TopResiduals, double[] BottomResiduals)
{
    /// <summary>Lanczos: Ritz pairs locked so far.</summary>
    public int Locked { get; init; }

    /// <summary>Lanczos: thick restarts so far.</summary>
    public int Restarts { get; init; }
}
