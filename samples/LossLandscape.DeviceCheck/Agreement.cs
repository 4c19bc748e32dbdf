namespace LossLandscape.DeviceCheck;

/// <summary>How close two results are, and what counts as equal to float32 tolerance.</summary>
public static class Agreement
{
    /// <summary>The smallest tolerance used, whatever float32's own error on the CPU: 1e-5.</summary>
    public const double Floor = 1e-5;

    /// <summary>How many times float32's own error on the CPU a second float32 implementation may be off: 10.</summary>
    public const double Factor = 10;

    /// <summary>||a - b|| / ||b|| (|a - b| when b is zero).</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double Relative(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"lengths differ: {a.Count} and {b.Count}");
        double diff = 0, norm = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double d = a[i] - b[i];
            diff += d * d;
            norm += b[i] * b[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    /// <summary>|a - b| / |b| (|a - b| when b is zero).</summary>
    public static double Relative(double a, double b) => b == 0 ? Math.Abs(a - b) : Math.Abs(a - b) / Math.Abs(b);

    /// <summary>
    /// The tolerance for a float32 result from another device: <see cref="Factor"/> times the float32 CPU result's own
    /// relative error against float64, and at least <see cref="Floor"/>. Two float32 implementations that sum in a
    /// different order (another convolution algorithm, another reduction tree) each carry about that error; a factor of
    /// ten leaves room for that without letting a wrong result through, which is off by orders of magnitude more.
    /// </summary>
    public static double Tolerance(double float32Error) => Math.Max(Factor * float32Error, Floor);

    /// <summary>
    /// The largest difference between two eigenvalue lists relative to the spectral scale (the largest |lambda| of
    /// <paramref name="reference"/>): max_i |a_i - b_i| / max_j |b_j|. Near-zero eigenvalues are compared on that scale,
    /// as Lanczos resolves them to a tolerance relative to the largest one.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ or the lists are empty.</exception>
    public static double Spectral(IReadOnlyList<double> a, IReadOnlyList<double> reference)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(reference);
        if (a.Count != reference.Count || a.Count == 0) throw new ArgumentException($"need two non-empty lists of one length: {a.Count} and {reference.Count}");
        double scale = reference.Max(Math.Abs);
        double worst = 0;
        for (int i = 0; i < a.Count; i++) worst = Math.Max(worst, Math.Abs(a[i] - reference[i]));
        return scale == 0 ? worst : worst / scale;
    }
}
