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

    /// <summary>
    /// Writes A v into <paramref name="output"/>, a 1-D vector of <see cref="Dimension"/> elements of <see cref="DType"/>
    /// on <see cref="Device"/> that does not overlap <paramref name="v"/> (a row of a caller's matrix, for example: the
    /// Lanczos basis receives each product in place). Counts as one application.
    /// </summary>
    /// <remarks>The default calls <see cref="Apply"/> and copies; the library's operators write the product in place.</remarks>
    /// <exception cref="LossLandscapeException"><paramref name="v"/> or <paramref name="output"/> does not fit, or they overlap.</exception>
    void ApplyInto(Tensor v, Tensor output)
    {
        SymmetricOperator.CheckOutput(this, v, output);
        using var r = Apply(v);
        using (no_grad()) output.copy_(r);
    }
}
