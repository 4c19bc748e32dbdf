using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// Base class of the operators: validates every input vector (length, dimension, dtype, device) before any native
/// call, counts applications, and calls <see cref="ApplyCore"/>.
/// </summary>
public abstract class SymmetricOperator : ISymmetricOperator
{
    private long _applications;

    /// <inheritdoc />
    public abstract long Dimension { get; }

    /// <inheritdoc />
    public abstract ScalarType DType { get; }

    /// <inheritdoc />
    public abstract Device Device { get; }

    /// <inheritdoc />
    public long Applications => Interlocked.Read(ref _applications);

    /// <inheritdoc />
    public Tensor Apply(Tensor v)
    {
        CheckVector(this, v, nameof(v));
        Interlocked.Increment(ref _applications);
        return ApplyCore(v);
    }

    /// <summary>Computes A v for a vector already checked to fit.</summary>
    protected abstract Tensor ApplyCore(Tensor v);

    /// <summary>Throws unless <paramref name="v"/> is a 1-D vector that <paramref name="op"/> accepts.</summary>
    /// <exception cref="LossLandscapeException">Wrong shape, dtype or device.</exception>
    public static void CheckVector(ISymmetricOperator op, Tensor v, string name)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.dim() != 1 || v.shape[0] != op.Dimension)
            throw new LossLandscapeException($"'{name}' must be a 1-D vector of {op.Dimension} elements (the operator's dimension); got shape [{string.Join(", ", v.shape)}].");
        if (v.dtype != op.DType)
            throw new LossLandscapeException($"'{name}' has dtype {v.dtype}, the operator works in {op.DType}; convert it with .to({op.DType}) first.");
        if (v.device.ToString() != op.Device.ToString())
            throw new LossLandscapeException($"'{name}' lives on {v.device}, the operator on {op.Device}; move it with .to(device) first.");
    }

    /// <summary>Throws unless <paramref name="a"/> and <paramref name="b"/> act on the same space.</summary>
    internal static void CheckCompatible(ISymmetricOperator a, ISymmetricOperator b)
    {
        if (a.Dimension != b.Dimension)
            throw new LossLandscapeException($"Operators differ in dimension ({a.Dimension} vs {b.Dimension}); they must act on the same parameters.");
        if (a.DType != b.DType)
            throw new LossLandscapeException($"Operators differ in dtype ({a.DType} vs {b.DType}).");
        if (a.Device.ToString() != b.Device.ToString())
            throw new LossLandscapeException($"Operators live on different devices ({a.Device} vs {b.Device}).");
    }
}
