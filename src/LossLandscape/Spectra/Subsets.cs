namespace LossLandscape.Spectra;

/// <summary>Index sets of the repeats of an estimate over subsets of the data.</summary>
/// <param name="Indices">R arrays of N example indices each, ascending within each.</param>
/// <param name="Disjoint">True when the sets are disjoint (R N &lt;= P): consecutive blocks of one seeded permutation; otherwise each set is its own seeded draw without replacement.</param>
public sealed record Subsets(long[][] Indices, bool Disjoint)
{
    /// <summary>Draws <paramref name="repeats"/> subsets of <paramref name="size"/> of the <paramref name="count"/> examples.</summary>
    /// <exception cref="LossLandscapeException">A size or count below 1, or a size above the number of examples.</exception>
    public static Subsets Draw(long count, long size, int repeats, long seed)
    {
        if (repeats < 1) throw new LossLandscapeException($"Give at least one repeat; got {repeats}.");
        if (size < 1) throw new LossLandscapeException($"Subset size {size} is not valid: give at least 1 example.");
        if (size > count) throw new LossLandscapeException($"Subset size {size} is above the {count} examples of the data: give at most {count}.");
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32)) ^ 0x5eed));
        long[] Permutation()
        {
            var p = new long[count];
            for (long i = 0; i < count; i++) p[i] = i;
            for (long i = count - 1; i > 0; i--)
            {
                long j = rng.NextInt64(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
            return p;
        }
        bool disjoint = size * repeats <= count;
        var sets = new long[repeats][];
        var shared = disjoint ? Permutation() : null;
        for (int r = 0; r < repeats; r++)
        {
            var source = shared ?? Permutation();
            long offset = disjoint ? r * size : 0;
            sets[r] = source.AsSpan((int)offset, (int)size).ToArray();
            Array.Sort(sets[r]);
        }
        return new Subsets(sets, disjoint);
    }
}
