using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>The shifted operator A + s I.</summary>
/// <remarks>(A + s I) v = A v + s v; the eigenvectors are A's, the eigenvalues lambda_i + s.</remarks>
public sealed class ShiftedOperator : WrappedOperator
{
    /// <summary>Builds A + s I.</summary>
    public ShiftedOperator(ISymmetricOperator a, double shift) : base(a)
    {
        if (!double.IsFinite(shift)) throw new LossLandscapeException($"Shift {shift} is not a finite number.");
        Shift = shift;
    }

    /// <summary>s.</summary>
    public double Shift { get; }

    /// <inheritdoc />
    protected override Tensor ApplyCore(Tensor v)
    {
        using var scope = NewDisposeScope();
        return Inner.Apply(v).add_(v, alpha: Shift).MoveToOuterDisposeScope();
    }
}
