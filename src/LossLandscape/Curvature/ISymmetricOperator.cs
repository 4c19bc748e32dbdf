using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// A symmetric linear operator A on R^n, known only through products v -> A v (curvlinops' design: algorithms such as
/// Lanczos, power iteration, Hutchinson and stochastic Lanczos quadrature take an operator, never a model).
/// </summary>
/// <remarks>Implementations guarantee A = A^T (up to rounding): u . (A v) = v . (A u).</remarks>
public interface ISymmetricOperator
{
    /// <summary>n, the length of the vectors the operator acts on.</summary>
    long Dimension { get; }

    /// <summary>The dtype of the vectors <see cref="Apply"/> accepts and returns.</summary>
    ScalarType DType { get; }

    /// <summary>The device of the vectors <see cref="Apply"/> accepts and returns.</summary>
    Device Device { get; }

    /// <summary>How many times <see cref="Apply"/> has been called on this operator.</summary>
    long Applications { get; }

    /// <summary>Returns A v as a new 1-D tensor; <paramref name="v"/> is not modified.</summary>
    /// <exception cref="LossLandscapeException"><paramref name="v"/> is not a 1-D vector of <see cref="Dimension"/> elements of <see cref="DType"/>.</exception>
    Tensor Apply(Tensor v);
}
