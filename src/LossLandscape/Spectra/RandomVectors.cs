using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Seeded random vectors, drawn on the CPU in float64 and then converted, so results do not depend on the device.</summary>
internal sealed class RandomVectors : IDisposable
{
    private readonly Generator _generator;

    public RandomVectors(long seed) => _generator = new Generator(unchecked((ulong)seed), CPU);

    /// <summary>
    /// The stream of probe <paramref name="probe"/> of a run seeded with <paramref name="seed"/>: it depends on (seed, probe)
    /// only, so that probes can be computed in any order and split across processes and still draw the same vectors.
    /// </summary>
    /// <remarks>The generator's seed is SplitMix64(SplitMix64(seed) xor probe) (Steele, Lea and Flood 2014), so that
    /// neighbouring seeds and probe indices give unrelated streams.</remarks>
    public static RandomVectors ForProbe(long seed, long probe)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probe);
        return new RandomVectors(unchecked((long)SplitMix64(SplitMix64((ulong)seed) ^ (ulong)probe)));
    }

    private static ulong SplitMix64(ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }

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
