using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Seeded random vectors, drawn on the CPU in float64 and then converted, so results do not depend on the device.</summary>
internal sealed class RandomVectors : IDisposable
{
    private readonly Generator _generator;

    public RandomVectors(long seed) => _generator = new Generator(unchecked((ulong)seed), CPU);

    /// <summary>z ~ N(0, I).</summary>
    public Tensor Gaussian(long n, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        return randn(new[] { n }, dtype: ScalarType.Float64, generator: _generator).to(dtype, device).MoveToOuterDisposeScope();
    }

    /// <summary>z with independent entries +1 or -1, each with probability 1/2.</summary>
    public Tensor Rademacher(long n, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var u = rand(new[] { n }, dtype: ScalarType.Float64, generator: _generator);
        return u.lt(0.5).to(ScalarType.Float64).mul_(2).sub_(1).to(dtype, device).MoveToOuterDisposeScope();
    }

    /// <summary>The generator's state, so that a resumed run draws the same numbers as an uninterrupted one.</summary>
    public byte[] State
    {
        get
        {
            using var s = _generator.get_state();
            return s.bytes.ToArray();
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            using var s = empty(new long[] { value.Length }, dtype: ScalarType.Byte);
            s.bytes = value;
            _generator.set_state(s);
        }
    }

    public void Dispose() => _generator.Dispose();
}
