namespace LossLandscape.Spectra;

/// <summary>The spread of one estimate over repeats (subsets of the data, or probes).</summary>
/// <param name="Mean">The sample mean.</param>
/// <param name="StandardError">s / sqrt(R), s the sample standard deviation (0 with one repeat).</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
/// <param name="Count">R, the number of repeats.</param>
public sealed record Spread(double Mean, double StandardError, double Min, double Max, int Count)
{
    /// <summary>The spread of <paramref name="values"/>.</summary>
    /// <exception cref="LossLandscapeException">No values.</exception>
    public static Spread Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new LossLandscapeException("A spread needs at least one value.");
        double mean = values.Average();
        double se = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) / values.Count) : 0;
        return new Spread(mean, se, values.Min(), values.Max(), values.Count);
    }

    /// <summary>Per index i, the spread of values[r][i] over the repeats r (indices past a repeat's length are skipped).</summary>
    public static Spread[] PerIndex(IReadOnlyList<double[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int len = values.Count == 0 ? 0 : values.Max(v => v.Length);
        return Enumerable.Range(0, len).Select(i => Of(values.Where(v => v.Length > i).Select(v => v[i]).ToArray())).ToArray();
    }
}

