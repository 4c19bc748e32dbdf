using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>An operator built on one other operator, acting on the same space (dimension, dtype, device).</summary>
public abstract class WrappedOperator : SymmetricOperator
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    protected WrappedOperator(ISymmetricOperator inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>A.</summary>
    public ISymmetricOperator Inner { get; }

    /// <inheritdoc />
    public override long Dimension => Inner.Dimension;

    /// <inheritdoc />
    public override ScalarType DType => Inner.DType;

    /// <inheritdoc />
    public override Device Device => Inner.Device;
}
