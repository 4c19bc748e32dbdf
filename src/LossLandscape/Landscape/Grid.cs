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

/// <summary>How a grid's points are spread over shards.</summary>
public enum ShardLayout
{
    /// <summary>Point k goes to shard k mod n (balances rows of uneven cost).</summary>
    RoundRobin,

    /// <summary>Shard i gets the contiguous range of points [floor(i N / n), floor((i + 1) N / n)).</summary>
    Contiguous,
}

/// <summary>Shard <paramref name="Index"/> of <paramref name="Count"/> (0-based), with a layout.</summary>
/// <param name="Index">The shard's index in [0, Count).</param>
/// <param name="Count">The number of shards.</param>
/// <param name="Layout">How points are assigned.</param>
public sealed record ShardSpec(int Index, int Count, ShardLayout Layout = ShardLayout.RoundRobin)
{
    /// <summary>The whole grid in one shard.</summary>
    public static ShardSpec Single { get; } = new(0, 1);

    /// <summary>The point indices of this shard, ascending.</summary>
    /// <exception cref="LossLandscapeException">The shard is not valid.</exception>
    public IReadOnlyList<int> PointsOf(int total)
    {
        Validate();
        var list = new List<int>();
        if (Layout == ShardLayout.RoundRobin)
        {
            for (int k = Index; k < total; k += Count) list.Add(k);
        }
        else
        {
            long start = (long)Index * total / Count, end = (long)(Index + 1) * total / Count;
            for (long k = start; k < end; k++) list.Add((int)k);
        }
        return list;
    }

    /// <summary>Checks 0 &lt;= Index &lt; Count.</summary>
    /// <exception cref="LossLandscapeException">It does not hold.</exception>
    public void Validate()
    {
        if (Count < 1 || Index < 0 || Index >= Count)
            throw new LossLandscapeException($"Shard {Index}/{Count} is not valid: the index must lie in [0, count) with count >= 1.");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
