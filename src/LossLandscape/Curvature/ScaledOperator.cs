using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>The scaled operator c A.</summary>
/// <remarks>(c A) v = c (A v).</remarks>
public sealed class ScaledOperator : WrappedOperator
{
    /// <summary>Builds c A.</summary>
    public ScaledOperator(ISymmetricOperator a, double c) : base(a)
    {
        if (!double.IsFinite(c)) throw new LossLandscapeException($"Scale factor {c} is not a finite number.");
        Factor = c;
    }

    /// <summary>c.</summary>
    public double Factor { get; }

    /// <inheritdoc />
    protected override Tensor ApplyCore(Tensor v)
    {
        using var scope = NewDisposeScope();
        return Inner.Apply(v).mul_(Factor).MoveToOuterDisposeScope();
    }
}
