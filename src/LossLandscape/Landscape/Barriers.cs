namespace LossLandscape.Landscape;

/// <summary>
/// Barrier definitions of a quantity measured along a path from A (first value) to B (last value): how far the
/// highest point of the path rises above its end points. The values are a loss or an error, in path order.
/// </summary>
public static class Barriers
{
    /// <summary>
    /// max_t v(t) - max(v(A), v(B)): the rise above the higher end point (Garipov et al. 2018, Draxler et al. 2018).
    /// Zero or below when the path never climbs above both ends.
    /// </summary>
    public static double AboveHigherEnd(IReadOnlyList<double> values)
    {
        Check(values);
        return values.Max() - Math.Max(values[0], values[^1]);
    }

    /// <summary>
    /// max_t v(t) - (v(A) + v(B)) / 2: the rise above the mean of the end points (Frankle et al. 2020, Entezari et al.
    /// 2022, Ainsworth et al. 2023). Never below zero on a path that includes its end points.
    /// </summary>
    public static double AboveMeanOfEnds(IReadOnlyList<double> values)
    {
        Check(values);
        return values.Max() - 0.5 * (values[0] + values[^1]);
    }

    private static void Check(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
            throw new ArgumentException($"A barrier needs the values at both end points and along the path; got {values.Count} value(s).", nameof(values));
    }
}
