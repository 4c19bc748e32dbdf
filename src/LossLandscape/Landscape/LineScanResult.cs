using System.Globalization;

namespace LossLandscape.Landscape;

/// <summary>One point of a line scan.</summary>
/// <param name="Alpha">The coefficient a.</param>
/// <param name="Loss">Mean training loss at theta(a).</param>
/// <param name="Accuracy">Training accuracy (fraction).</param>
/// <param name="TestLoss">Mean test loss, or null without test data.</param>
/// <param name="TestAccuracy">Test accuracy (fraction), or null without test data.</param>
public sealed record LinePoint(double Alpha, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);

/// <summary>The result of a line scan.</summary>
/// <param name="Kind"><c>between</c> (two models) or <c>direction</c> (a point and a direction).</param>
/// <param name="NormPreserving">Whether the norm-preserving variant was used.</param>
/// <param name="BatchNorm">The BatchNorm policy used (<c>eval</c>, <c>interpolate</c>, <c>recompute</c>).</param>
/// <param name="Loss">The loss name.</param>
/// <param name="NormA">|theta_A| (or |origin|).</param>
/// <param name="NormB">|theta_B| (or |direction|).</param>
/// <param name="Points">The points, in the order of the coefficients.</param>
public sealed record LineScanResult(string Kind, bool NormPreserving, string BatchNorm, string Loss, double NormA, double NormB, IReadOnlyList<LinePoint> Points);

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
