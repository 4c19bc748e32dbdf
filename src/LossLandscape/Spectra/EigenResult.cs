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
/// <remarks>The result owns its eigenvectors (when asked for): dispose it, or take them and dispose them yourself.</remarks>
public sealed record EigenResult(
    string Method,
    double[] Eigenvalues,
    double[] Bottom,
    double[] Residuals,
    double[] BottomResiduals,
    long Applications,
    int Iterations,
    bool Converged,
    double Seconds) : IDisposable
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

    /// <summary>Lanczos: Gram-Schmidt passes (against the whole basis, or with partial reorthogonalization against the vectors whose estimated overlap needs it).</summary>
    public int Reorthogonalizations { get; init; }

    /// <summary>Frees the eigenvectors (a copy made with <c>with</c> shares them: dispose one of the two).</summary>
    public void Dispose()
    {
        foreach (var v in Eigenvectors ?? Array.Empty<Tensor>()) v.Dispose();
        foreach (var v in BottomEigenvectors ?? Array.Empty<Tensor>()) v.Dispose();
    }
}
