using System.Globalization;

namespace LossLandscape.Landscape;

/// <summary>
/// A rectangular grid of XCount x YCount points: x_i = XMin + (XMax - XMin) i / (XCount - 1), likewise y_j. Point
/// index k = j XCount + i (row-major, rows along y).
/// </summary>
/// <param name="XMin">First x.</param>
/// <param name="XMax">Last x.</param>
/// <param name="XCount">Number of x values (at least 1).</param>
/// <param name="YMin">First y.</param>
/// <param name="YMax">Last y.</param>
/// <param name="YCount">Number of y values (at least 1).</param>
public sealed record GridSpec(double XMin, double XMax, int XCount, double YMin, double YMax, int YCount)
{
    /// <summary>Total number of points.</summary>
    public int Count
    {
        get
        {
            Validate();
            return checked(XCount * YCount);
        }
    }

    /// <summary>The x values.</summary>
    public double[] Xs => Alphas.Linspace(XMin, XMax, XCount);

    /// <summary>The y values.</summary>
    public double[] Ys => Alphas.Linspace(YMin, YMax, YCount);

    /// <summary>The coordinates of point <paramref name="index"/>.</summary>
    public (double X, double Y) Coordinates(int index)
    {
        if (index < 0 || index >= Count) throw new LossLandscapeException($"Grid point {index} is outside the grid of {Count} points.");
        return (Xs[index % XCount], Ys[index / XCount]);
    }

    /// <summary>Checks the counts and ends.</summary>
    /// <exception cref="LossLandscapeException">A count below 1 or a non-finite end.</exception>
    public void Validate()
    {
        if (XCount < 1 || YCount < 1) throw new LossLandscapeException($"Grid sizes must be at least 1; got {XCount} x {YCount}.");
        if (!double.IsFinite(XMin) || !double.IsFinite(XMax) || !double.IsFinite(YMin) || !double.IsFinite(YMax))
            throw new LossLandscapeException("Grid ranges must be finite numbers.");
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"x {XMin:R}:{XMax:R}:{XCount}, y {YMin:R}:{YMax:R}:{YCount}");

}
