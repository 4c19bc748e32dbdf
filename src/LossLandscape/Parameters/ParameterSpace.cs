using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Parameters;

/// <summary>
/// A flat view of a module's trainable parameters: theta in R^M as one vector, in the order of
/// <c>named_parameters()</c>. Probes move the model through weight space by <see cref="Set"/> and put it back with
/// <see cref="Preserve"/>.
/// </summary>
/// <remarks>
/// Getting copies the parameters into a new 1-D tensor; setting copies a 1-D tensor back under <c>no_grad</c>, so
/// <c>Set(Get())</c> is exact. Vector algebra (<see cref="Dot"/>, <see cref="Norm"/>) accumulates in float64.
/// </remarks>
public sealed class ParameterSpace
{
    private readonly Parameter[] _parameters;
    private readonly ParameterBlock[] _blocks;

    /// <summary>
    /// Builds the view over the trainable parameters of <paramref name="module"/> (those with
    /// <c>requires_grad</c>), optionally restricted to names accepted by <paramref name="include"/> (one layer or block).
    /// </summary>
    /// <exception cref="LossLandscapeException">No parameter is selected, or the parameters mix dtypes or devices.</exception>
    public ParameterSpace(nn.Module module, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Module = module;
        var ps = new List<Parameter>();
        var blocks = new List<ParameterBlock>();
        long offset = 0;
        foreach (var (name, p) in module.named_parameters())
        {
            if (!p.requires_grad) continue;
            if (include is not null && !include(name)) continue;
            var count = p.numel();
            blocks.Add(new ParameterBlock(name, p.shape.ToArray(), offset, count));
            ps.Add(p);
            offset += count;
        }
        if (ps.Count == 0)
            throw new LossLandscapeException(include is null
                ? "The module has no trainable parameters."
                : "No trainable parameter matches the selection; names available: " +
                  string.Join(", ", module.named_parameters().Select(np => np.name)));
        var dtype = ps[0].dtype;
        var device = ps[0].device;
        for (int i = 1; i < ps.Count; i++)
        {
            if (ps[i].dtype != dtype)
                throw new LossLandscapeException($"Parameters mix dtypes ({blocks[0].Name} is {dtype}, {blocks[i].Name} is {ps[i].dtype}); convert the model to one dtype first.");
            if (ps[i].device.ToString() != device.ToString())
                throw new LossLandscapeException($"Parameters live on different devices ({blocks[0].Name} on {device}, {blocks[i].Name} on {ps[i].device}); move the model to one device first.");
        }
        _parameters = ps.ToArray();
        _blocks = blocks.ToArray();
        Count = offset;
        DType = dtype;
        Device = device;
    }

    /// <summary>The module this space views.</summary>
    public nn.Module Module { get; }

    /// <summary>M, the number of scalar parameters.</summary>
    public long Count { get; }

    /// <summary>The parameters' dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>The parameters' device.</summary>
    public Device Device { get; }

    /// <summary>Names, shapes and offsets, in order.</summary>
    public IReadOnlyList<ParameterBlock> Blocks => _blocks;

    /// <summary>The live parameter tensors, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>A copy of theta as one 1-D tensor (detached, on <see cref="Device"/>).</summary>
    public Tensor Get()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var flat = cat(_parameters.Select(p => p.detach().reshape(-1)).ToArray(), 0).clone();
        return flat.MoveToOuterDisposeScope();
    }

    /// <summary>Copies <paramref name="flat"/> into the parameters, exactly (no accumulation).</summary>
    /// <exception cref="LossLandscapeException">Wrong length, dimension or dtype.</exception>
    public void Set(Tensor flat)
    {
        CheckVector(flat, nameof(flat));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var src = flat.device.ToString() == Device.ToString() ? flat : flat.to(Device);
        foreach (var (p, b) in _parameters.Zip(_blocks))
            p.copy_(src.narrow(0, b.Offset, b.Count).view(b.Shape));
    }

    /// <summary>Sets theta = base + sum_k c_k d_k, computed from <paramref name="origin"/> directly (never by accumulated steps).</summary>
    public void SetCombination(Tensor origin, params (double Coefficient, Tensor Direction)[] terms)
    {
        CheckVector(origin, nameof(origin));
        using var scope = NewDisposeScope();
        var x = origin.clone();
        foreach (var (c, d) in terms)
        {
            CheckVector(d, nameof(terms));
            if (c != 0) x.add_(d, alpha: c);
        }
        Set(x);
    }

    /// <summary>Splits a flat vector into views shaped like the parameters (no copy).</summary>
    public Tensor[] Split(Tensor flat)
    {
        CheckVector(flat, nameof(flat));
        return _blocks.Select(b => flat.narrow(0, b.Offset, b.Count).view(b.Shape)).ToArray();
    }

    /// <summary>Concatenates per-parameter tensors (one per block, same shapes) into one flat vector; null entries count as zeros.</summary>
    public Tensor Flatten(IReadOnlyList<Tensor?> perParameter)
    {
        if (perParameter.Count != _blocks.Length)
            throw new LossLandscapeException($"Expected {_blocks.Length} tensors (one per parameter), got {perParameter.Count}.");
        using var scope = NewDisposeScope();
        var parts = new Tensor[_blocks.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var t = perParameter[i];
            parts[i] = t is null ? zeros(_blocks[i].Count, dtype: DType, device: Device) : t.reshape(-1);
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The current gradient <c>p.grad</c> of every parameter as one vector (zeros where no gradient exists).</summary>
    public Tensor Gradient()
    {
        using var scope = NewDisposeScope();
        var gs = _parameters.Select(p => p.grad).ToArray();
        return Flatten(gs).MoveToOuterDisposeScope();
    }

    /// <summary>A new zero vector of dimension M.</summary>
    public Tensor Zeros() => zeros(Count, dtype: DType, device: Device);

    /// <summary>A Gaussian N(0, I) vector of dimension M drawn from <paramref name="generator"/> (or the global one).</summary>
    public Tensor Randn(Generator? generator = null) => randn(new[] { Count }, dtype: DType, device: Device, generator: generator);

    /// <summary>y + alpha x, as a new vector.</summary>
    public static Tensor Axpy(double alpha, Tensor x, Tensor y)
    {
        SameShape(x, y);
        return y.add(x, alpha: alpha);
    }

    /// <summary>x . y, accumulated in float64.</summary>
    public static double Dot(Tensor x, Tensor y)
    {
        SameShape(x, y);
        using var scope = NewDisposeScope();
        return x.to(ScalarType.Float64).reshape(-1).dot(y.to(ScalarType.Float64).reshape(-1)).item<double>();
    }

    /// <summary>|x|_2, accumulated in float64.</summary>
    public static double Norm(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.to(ScalarType.Float64).norm().item<double>();
    }

    /// <summary>
    /// x . y in the vectors' own precision, for the inner loops of iterative methods (Lanczos) where <see cref="Dot"/>'s
    /// float64 copies would cost more reads than the product itself: for float32 the products summed pairwise (Torch's
    /// cascade sum), an error of about eps_32 sum_i |x_i y_i| even on entries shifted by 1 (measured: 0.01 and 0.5 eps at
    /// 545,810 entries). In a Lanczos step, where the vectors come from memory and not from cache, this is also the
    /// fastest: half the time of a BLAS product of the row x by the column y (whose blocked accumulation errs by up to
    /// about 50 eps on shifted entries), and as fast as BLAS's dot (30 eps). Float64 and other dtypes as <see cref="Dot"/>.
    /// </summary>
    internal static double WorkingDot(Tensor x, Tensor y)
    {
        if (x.dtype != ScalarType.Float32 || y.dtype != ScalarType.Float32) return Dot(x, y);
        SameShape(x, y);
        using var scope = NewDisposeScope();
        double r = x.mul(y).sum().ToDouble();
        return double.IsFinite(r) ? r : Dot(x, y);   // a float32 product or sum overflowed
    }

    /// <summary>
    /// |x|_2 in the vector's own precision: for float32 the squares summed pairwise (Torch's cascade sum), a relative
    /// error of about eps_32 (Torch's float32 norm sums in sequence: 3e-6 on 545,810 Gaussian entries, and a BLAS product
    /// of x by itself errs by about 50 eps on entries shifted by 1); other dtypes as <see cref="Norm"/>.
    /// </summary>
    /// <remarks>The Lanczos vectors are normalized by it, and the loss-of-orthogonality estimates assume unit vectors to eps.</remarks>
    internal static double WorkingNorm(Tensor x)
    {
        if (x.dtype != ScalarType.Float32) return Norm(x);
        using var scope = NewDisposeScope();
        double s = x.mul(x).sum().ToDouble();
        return double.IsFinite(s) ? Math.Sqrt(s) : Norm(x);   // a square or the sum overflowed
    }

    /// <summary>
    /// Snapshots every parameter and buffer (BatchNorm running statistics included) and the training flag; disposing
    /// the returned scope puts them back bit for bit, also when the probe in between threw.
    /// </summary>
    public ModelStateScope Preserve() => new(Module);

    private void CheckVector(Tensor v, string name)
    {
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.dim() != 1 || v.shape[0] != Count)
            throw new LossLandscapeException($"'{name}' must be a 1-D vector of {Count} elements (the parameter count); got shape [{string.Join(", ", v.shape)}].");
        if (v.dtype != DType)
            throw new LossLandscapeException($"'{name}' has dtype {v.dtype}, the parameters are {DType}; convert it with .to({DType}) first.");
    }

    private static void SameShape(Tensor x, Tensor y)
    {
        if (!x.shape.SequenceEqual(y.shape))
            throw new LossLandscapeException($"Vectors differ in shape: [{string.Join(", ", x.shape)}] vs [{string.Join(", ", y.shape)}].");
    }
}
