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

    /// <inheritdoc />
    public void ApplyInto(Tensor v, Tensor output)
    {
        CheckVector(this, v, nameof(v));
        CheckOutput(this, v, output);
        Interlocked.Increment(ref _applications);
        ApplyIntoCore(v, output);
    }

    /// <summary>Computes A v for a vector already checked to fit.</summary>
    protected abstract Tensor ApplyCore(Tensor v);

    /// <summary>Writes A v into <paramref name="output"/> (both checked to fit, not overlapping); the default copies <see cref="ApplyCore"/>'s result.</summary>
    protected virtual void ApplyIntoCore(Tensor v, Tensor output)
    {
        using var r = ApplyCore(v);
        using (no_grad()) output.copy_(r);
    }

    /// <summary>Throws unless <paramref name="output"/> is a vector <paramref name="op"/> can write A v into: its shape, dtype and device, and not <paramref name="v"/> itself.</summary>
    /// <remarks>Views that share memory with <paramref name="v"/> cannot be told from separate vectors here; the caller keeps them apart.</remarks>
    /// <exception cref="LossLandscapeException">Wrong shape, dtype or device, or the same tensor as <paramref name="v"/>.</exception>
    public static void CheckOutput(ISymmetricOperator op, Tensor v, Tensor output)
    {
        CheckVector(op, output, nameof(output));
        ArgumentNullException.ThrowIfNull(v);
        if (output.Handle == v.Handle)
            throw new LossLandscapeException("'output' is 'v' itself: give a separate vector to write A v into.");
    }

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
