using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>The sum A + B of two operators on the same space.</summary>
/// <remarks>(A + B) v = A v + B v; one application costs one application of each term.</remarks>
public sealed class SumOperator : SymmetricOperator
{
    /// <summary>Builds A + B.</summary>
    /// <exception cref="LossLandscapeException">The operators differ in dimension, dtype or device.</exception>
    public SumOperator(ISymmetricOperator a, ISymmetricOperator b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckCompatible(a, b);
        First = a;
        Second = b;
    }

    /// <summary>A.</summary>
    public ISymmetricOperator First { get; }

    /// <summary>B.</summary>
    public ISymmetricOperator Second { get; }

    /// <inheritdoc />
    public override long Dimension => First.Dimension;

    /// <inheritdoc />
    public override ScalarType DType => First.DType;

    /// <inheritdoc />
    public override Device Device => First.Device;

    /// <inheritdoc />
    protected override Tensor ApplyCore(Tensor v)
    {
        using var scope = NewDisposeScope();
        var r = First.Apply(v).add_(Second.Apply(v));
        return r.MoveToOuterDisposeScope();
    }
}
