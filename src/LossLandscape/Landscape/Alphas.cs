
namespace LossLandscape.Landscape;

/// <summary>Coefficient grids for line scans.</summary>
public static class Alphas
{
    /// <summary>COUNT evenly spaced values from START to STOP, ends included: a_k = START + (STOP - START) k / (COUNT - 1).</summary>
    /// <exception cref="LossLandscapeException">COUNT below 1, or non-finite ends.</exception>
    public static double[] Linspace(double start, double stop, int count)
    {
        if (count < 1) throw new LossLandscapeException($"A grid needs at least one point; got {count}.");
        if (!double.IsFinite(start) || !double.IsFinite(stop)) throw new LossLandscapeException($"Grid ends {start} and {stop} must be finite.");
        var a = new double[count];
        for (int k = 0; k < count; k++) a[k] = count == 1 ? start : k == count - 1 ? stop : start + (stop - start) * k / (count - 1);
        return a;
    }
}
