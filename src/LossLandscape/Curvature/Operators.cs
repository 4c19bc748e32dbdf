using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>Combinators that build new symmetric operators from existing ones, without forming any matrix.</summary>
public static class Operators
{
    /// <summary>A + B (both applied to the same vector).</summary>
    public static ISymmetricOperator Sum(ISymmetricOperator a, ISymmetricOperator b) => new SumOperator(a, b);

    /// <summary>c A.</summary>
    public static ISymmetricOperator Scale(ISymmetricOperator a, double c) => new ScaledOperator(a, c);

    /// <summary>A - B.</summary>
    public static ISymmetricOperator Difference(ISymmetricOperator a, ISymmetricOperator b) => new SumOperator(a, new ScaledOperator(b, -1.0));

    /// <summary>A + s I (shifts every eigenvalue by <paramref name="shift"/>).</summary>
    public static ISymmetricOperator Shift(ISymmetricOperator a, double shift) => new ShiftedOperator(a, shift);
}

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
