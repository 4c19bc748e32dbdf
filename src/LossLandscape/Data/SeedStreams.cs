using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Derives every random draw of a training run from the run's seed and a position (epoch or step), so that a run
/// resumed from a checkpoint draws exactly what an uninterrupted run draws, without saving generator states.
/// </summary>
/// <remarks>
/// seed(stream, index) = SplitMix64(SplitMix64(SplitMix64(seed) xor stream) xor index), reduced to 63 bits. Streams:
/// <see cref="Shuffle"/> (one permutation per epoch), <see cref="Step"/> (the generator of the step's batch
/// augmentation), <see cref="Noise"/> (Gaussian gradient noise, one generator per step) <see cref="EvalSubset"/> (the fixed evaluation subset) and <see cref="Sample"/> (sampled batches).
/// </remarks>
public static class SeedStreams
{
    /// <summary>Stream of the per-epoch permutations.</summary>
    public const long Shuffle = 1;
    /// <summary>Stream of the per-step augmentation generators.</summary>
    public const long Step = 2;
    /// <summary>Stream of the per-step gradient noise.</summary>
    public const long Noise = 3;
    /// <summary>Stream of the fixed evaluation subsets.</summary>
    public const long EvalSubset = 4;
    /// <summary>Stream of the independently sampled batches of <see cref="BatchOrder.Sampled"/> (one draw per batch).</summary>
    public const long Sample = 5;

    /// <summary>The derived seed for (<paramref name="seed"/>, <paramref name="stream"/>, <paramref name="index"/>), in [0, 2^63).</summary>
    public static long Derive(long seed, long stream, long index)
    {
        ulong h = SplitMix64((ulong)seed);
        h = SplitMix64(h ^ (ulong)stream);
        h = SplitMix64(h ^ (ulong)index);
        return (long)(h >> 1);
    }

    /// <summary>
    /// A permutation of 0..<paramref name="count"/>-1 (int64, on the CPU) drawn from a generator seeded with
    /// <see cref="Derive"/>(seed, <paramref name="stream"/>, <paramref name="index"/>); the same arguments always give the same permutation.
    /// </summary>
    public static Tensor Permutation(long count, long seed, long stream, long index)
    {
        if (count < 1) throw new LossLandscapeException($"Cannot permute {count} items: give at least 1.");
        using var g = new Generator((ulong)Derive(seed, stream, index));
        return randperm(count, generator: g);
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
