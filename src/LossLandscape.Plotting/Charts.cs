using System.Globalization;
using LossLandscape.IO;
using ScottPlot;
using SkiaSharp;

namespace LossLandscape.Plotting;

/// <summary>One curve of a line chart.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values (same length).</param>
/// <param name="Dashed">Draw dashed (test curves, for example).</param>
/// <param name="RightAxis">Plot against the right y axis.</param>
/// <param name="Markers">Draw markers only, no line (eigenvalues by order, for example).</param>
/// <param name="Color">Palette index (0-9) so that related curves share a color; null picks the next.</param>
public sealed record Series(string Label, double[] X, double[] Y, bool Dashed = false, bool RightAxis = false, bool Markers = false, int? Color = null);

/// <summary>Titles, axes and size of a chart.</summary>
/// <param name="Title">Title (name the data set and preset in it).</param>
/// <param name="XLabel">X axis label.</param>
/// <param name="YLabel">Left y axis label.</param>
/// <param name="LogX">Logarithmic x axis (values must be positive).</param>
/// <param name="LogY">Logarithmic left y axis (values must be positive).</param>
/// <param name="RightLabel">Right y axis label, when series use it.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record ChartOptions(string Title, string XLabel = "", string YLabel = "", bool LogX = false, bool LogY = false,
    string? RightLabel = null, int Width = 900, int Height = 600);

/// <summary>
/// General charts for the figure samples (ScottPlot 5): line charts with optional log axes and a right axis, bar charts,
/// annotated heatmaps, surfaces with contours, and image grids. Each call writes every path given, PNG or SVG by
/// extension, atomically.
/// </summary>
public static class Charts
{
    /// <summary>A line chart of <paramref name="series"/>.</summary>
    public static void Lines(IReadOnlyList<Series> series, ChartOptions options, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(options);
        var plt = new Plot();
        int next = 0;
        bool right = false;
        var xRange = new List<double>();
        var yRange = new List<double>();
        var drawn = new List<(double X, double Y, bool Right)>();
        foreach (var s in series)
        {
            if (s.X.Length != s.Y.Length) throw new LossLandscapeException($"Series '{s.Label}' has {s.X.Length} x values and {s.Y.Length} y values.");
            var xs = options.LogX ? s.X.Select(Log10).ToArray() : s.X;
            var ys = options.LogY && !s.RightAxis ? s.Y.Select(Log10).ToArray() : s.Y;
            var keep = Enumerable.Range(0, xs.Length).Where(i => double.IsFinite(xs[i]) && double.IsFinite(ys[i])).ToArray();
            xRange.AddRange(keep.Select(i => xs[i]));
            if (!s.RightAxis) yRange.AddRange(keep.Select(i => ys[i]));
            for (int j = 0; j < keep.Length; j++)
            {
                // The points and, for lines, the segments between them (a two-point vertical line crosses the plot).
                int steps = s.Markers || j == keep.Length - 1 ? 1 : 8;
                for (int q = 0; q < steps; q++)
                {
                    double f = (double)q / steps;
                    int a = keep[j], b = keep[Math.Min(j + 1, keep.Length - 1)];
                    drawn.Add((xs[a] + f * (xs[b] - xs[a]), ys[a] + f * (ys[b] - ys[a]), s.RightAxis));
                }
            }
            var color = Colors.Category10[(s.Color ?? next++) % 10];
            var sc = plt.Add.Scatter(keep.Select(i => xs[i]).ToArray(), keep.Select(i => ys[i]).ToArray(), color);
            sc.LegendText = s.Label;
            sc.LineWidth = s.Markers ? 0 : 2;
            sc.MarkerSize = s.Markers ? 7 : (xs.Length <= 40 ? 4 : 0);
            if (s.Dashed) sc.LinePattern = LinePattern.Dashed;
            if (s.RightAxis)
            {
                sc.Axes.YAxis = plt.Axes.Right;
                right = true;
            }
        }
        if (options.LogX && xRange.Count > 0)
        {
            var (lo, hi) = PaddedLogRange(xRange.Min(), xRange.Max());
            plt.Axes.Bottom.TickGenerator = LogTicks(lo, hi);
            plt.Axes.SetLimitsX(lo, hi);
        }
        if (options.LogY && yRange.Count > 0)
        {
            var (lo, hi) = PaddedLogRange(yRange.Min(), yRange.Max());
            plt.Axes.Left.TickGenerator = LogTicks(lo, hi);
            plt.Axes.SetLimitsY(lo, hi, plt.Axes.Left);
        }
        if (right) plt.Axes.Right.Label.Text = options.RightLabel ?? "";
        Finish(plt, options, series.Count > 1 || series.Any(s => s.Label.Length > 0), LegendCorner(drawn, series.Count));
        SaveAll(plt, options, paths);
    }

    /// <summary>
    /// The corner of the plot where a legend of <paramref name="entries"/> lines hides no drawn point (x scaled to the
    /// data's range, y to the range of the point's own axis, left or right); upper right when several do; null when
    /// every corner would hide one (the legend then goes outside the data area).
    /// </summary>
    internal static Alignment? LegendCorner(IReadOnlyList<(double X, double Y, bool Right)> points, int entries)
    {
        if (points.Count == 0) return Alignment.UpperRight;
        double xLo = points.Min(p => p.X), xHi = points.Max(p => p.X);
        (double Lo, double Hi) YRange(bool right)
        {
            var ys = points.Where(p => p.Right == right).Select(p => p.Y).ToList();
            return ys.Count == 0 ? (0, 1) : (ys.Min(), ys.Max());
        }
        var left = YRange(false);
        var rightRange = YRange(true);
        static double Scale(double v, double lo, double hi) => hi > lo ? (v - lo) / (hi - lo) : 0.5;
        double width = 0.45, height = Math.Min(0.9, 0.08 + 0.06 * entries);
        var corners = new[] { Alignment.UpperRight, Alignment.UpperLeft, Alignment.LowerRight, Alignment.LowerLeft };
        int Hidden(Alignment corner)
        {
            bool upper = corner is Alignment.UpperRight or Alignment.UpperLeft;
            bool onRight = corner is Alignment.UpperRight or Alignment.LowerRight;
            return points.Count(p =>
            {
                double x = Scale(p.X, xLo, xHi);
                var (lo, hi) = p.Right ? rightRange : left;
                double y = Scale(p.Y, lo, hi);
                return (onRight ? x >= 1 - width : x <= width) && (upper ? y >= 1 - height : y <= height);
            });
        }
        foreach (var corner in corners)
            if (Hidden(corner) == 0) return corner; // in order: upper right first
        return null;
    }

    /// <summary>A bar chart, one bar per label, with the value printed above each bar; optional reference marks (the paper's numbers).</summary>
    public static void Bars(IReadOnlyList<string> labels, IReadOnlyList<double> values, ChartOptions options, IReadOnlyList<double>? reference = null, string referenceLabel = "paper", params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(options);
        if (labels.Count != values.Count) throw new LossLandscapeException($"{labels.Count} labels for {values.Count} bars.");
        var plt = new Plot();
        var bars = plt.Add.Bars(values.ToArray());
        bars.Color = Colors.C0;
        for (int i = 0; i < values.Count; i++)
        {
            var t = plt.Add.Text(values[i].ToString("G4", CultureInfo.InvariantCulture), i, values[i]);
            t.LabelAlignment = Alignment.LowerCenter;
            t.LabelFontSize = 13;
        }
        if (reference is not null)
        {
            var m = plt.Add.Markers(Enumerable.Range(0, reference.Count).Select(i => (double)i).ToArray(), reference.ToArray(), MarkerShape.FilledDiamond, 11, Colors.C3);
            m.LegendText = referenceLabel;
        }
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        Finish(plt, options, reference is not null);
        SaveAll(plt, options, paths);
    }

    /// <summary>
    /// A heatmap of a matrix (row 0 drawn at the top) with each cell's value written in it, and tick labels for rows
    /// and columns: a barrier matrix between solutions, for example.
    /// </summary>
    public static void Matrix(double[,] values, IReadOnlyList<string> columnLabels, IReadOnlyList<string> rowLabels, ChartOptions options, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(options);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (rowLabels.Count != rows || columnLabels.Count != cols)
            throw new LossLandscapeException($"A {rows} x {cols} matrix needs {rows} row labels and {cols} column labels.");
        var plt = new Plot();
        var hm = plt.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        // Rectangle sets the edges of the image (cell c spans [c - 0.5, c + 0.5], centered on its tick and value);
        // Extent would set the outermost cells' centers and put every cell half a cell off its label.
        hm.Rectangle = new CoordinateRect(-0.5, cols - 0.5, -0.5, rows - 0.5);
        plt.Add.ColorBar(hm);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                var t = plt.Add.Text(values[r, c].ToString("G3", CultureInfo.InvariantCulture), c, rows - 1 - r);
                t.LabelAlignment = Alignment.MiddleCenter;
                t.LabelFontColor = Colors.White;
                t.LabelFontSize = 13;
            }
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, cols).Select(i => (double)i).ToArray(), columnLabels.ToArray());
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray(), rowLabels.ToArray());
        plt.Axes.SetLimits(-0.5, cols - 0.5, -0.5, rows - 0.5);
        Finish(plt, options, false);
        SaveAll(plt, options, paths);
    }

    /// <summary>A surface z[j][i] over x[i], y[j] as a heatmap with contour lines; <paramref name="logColor"/> colors by log10 z.</summary>
    public static void Surface(double[] x, double[] y, double[][] z, ChartOptions options, bool logColor = false, string colorLabel = "loss", params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(options);
        int nx = x.Length, ny = y.Length;
        if (z.Length != ny || z.Any(row => row.Length != nx)) throw new LossLandscapeException($"A surface over {nx} x {ny} points needs {ny} rows of {nx} values.");
        var plt = new Plot();
        var grid = new double[ny, nx];
        var c = new Coordinates3d[ny, nx];
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
            {
                double v = logColor ? Log10(z[j][i]) : z[j][i];
                grid[ny - 1 - j, i] = v;
                c[j, i] = new Coordinates3d(x[i], y[j], double.IsFinite(v) ? v : 0);
            }
        var hm = plt.Add.Heatmap(grid);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        double dx = nx > 1 ? (x[^1] - x[0]) / (nx - 1) : 1, dy = ny > 1 ? (y[^1] - y[0]) / (ny - 1) : 1;
        hm.Rectangle = new CoordinateRect(x[0] - dx / 2, x[^1] + dx / 2, y[0] - dy / 2, y[^1] + dy / 2);
        var cb = plt.Add.ColorBar(hm);
        cb.Label = logColor ? $"log10 {colorLabel}" : colorLabel;
        if (nx >= 2 && ny >= 2)
        {
            var cl = plt.Add.ContourLines(c, 14);
            cl.LineColor = Colors.White.WithAlpha(0.8);
            cl.LabelStyle.IsVisible = false;
        }
        plt.Axes.SetLimits(x[0] - dx / 2, x[^1] + dx / 2, y[0] - dy / 2, y[^1] + dy / 2);
        Finish(plt, options, false);
        SaveAll(plt, options, paths);
    }

    /// <summary>
    /// A grid of images, one row per entry of <paramref name="rows"/> (label, images), each image <c>[C, H, W]</c> with
    /// C = 1 (gray) or 3 (RGB) and values in [0, 1] (clamped), scaled up by <paramref name="scale"/>.
    /// </summary>
    public static void ImageGrid(IReadOnlyList<(string Label, IReadOnlyList<float[,,]> Images)> rows, ChartOptions options, int scale = 4, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Count == 0 || rows.Any(r => r.Images.Count == 0)) throw new LossLandscapeException("An image grid needs at least one image in every row.");
        var first = rows[0].Images[0];
        int h = first.GetLength(1), w = first.GetLength(2), cols = rows.Max(r => r.Images.Count), gap = 2;
        int cw = w * scale + gap, ch = h * scale + gap;
        using var bitmap = new SKBitmap(cols * cw + gap, rows.Count * ch + gap);
        bitmap.Erase(SKColors.White);
        for (int r = 0; r < rows.Count; r++)
            for (int k = 0; k < rows[r].Images.Count; k++)
            {
                var img = rows[r].Images[k];
                if (img.GetLength(1) != h || img.GetLength(2) != w) throw new LossLandscapeException("All images of a grid must have the same height and width.");
                int channels = img.GetLength(0);
                for (int i = 0; i < h * scale; i++)
                    for (int j = 0; j < w * scale; j++)
                    {
                        byte B(int chn) => (byte)Math.Round(255 * Math.Clamp(img[chn, i / scale, j / scale], 0f, 1f));
                        var color = channels >= 3 ? new SKColor(B(0), B(1), B(2)) : new SKColor(B(0), B(0), B(0));
                        bitmap.SetPixel(gap + k * cw + j, gap + r * ch + i, color);
                    }
            }
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var image = new ScottPlot.Image(encoded.ToArray());
        var plt = new Plot();
        plt.Add.ImageRect(image, new CoordinateRect(0, bitmap.Width, 0, bitmap.Height));
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, rows.Count).Select(r => (double)(bitmap.Height - gap - r * ch - ch / 2.0)).ToArray(), rows.Select(r => r.Label).ToArray());
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Array.Empty<double>(), Array.Empty<string>());
        plt.Axes.SetLimits(0, bitmap.Width, 0, bitmap.Height);
        plt.Axes.SquareUnits();
        Finish(plt, options, false);
        SaveAll(plt, options, paths);
    }

    private static double Log10(double v) => v > 0 ? Math.Log10(v) : double.NaN;

    private static ScottPlot.TickGenerators.NumericManual LogTicks(double lo, double hi)
    {
        var manual = new ScottPlot.TickGenerators.NumericManual();
        foreach (var t in LogAxisTicks(lo, hi))
        {
            if (t.Label is null) manual.AddMinor(t.Position);
            else manual.AddMajor(t.Position, t.Label);
        }
        return manual;
    }

    /// <summary>The shown range of a log10 axis whose data run from <paramref name="lo"/> to <paramref name="hi"/>: 5 % margins, at least 0.03 decades each.</summary>
    internal static (double Lo, double Hi) PaddedLogRange(double lo, double hi)
    {
        double margin = Math.Max(0.05 * (hi - lo), 0.03);
        return (lo - margin, hi + margin);
    }

    /// <summary>
    /// Ticks of a log10 axis shown from 10^<paramref name="lo"/> to 10^<paramref name="hi"/> (positions in log10
    /// units): over 1.5 decades or more, labelled decades ("1e-3", every k-th when there are many) with minor ticks at
    /// 2..9, if at least two decade marks show; otherwise labelled 1-2-5 values (or 1..9), if at least three show;
    /// otherwise about five evenly spaced values, so a short range still has several labels.
    /// </summary>
    internal static IReadOnlyList<(double Position, string? Label)> LogAxisTicks(double lo, double hi)
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi) || hi <= lo) throw new ArgumentException($"Bad log axis range [{lo}, {hi}].");
        int first = (int)Math.Floor(lo), last = (int)Math.Ceiling(hi);
        List<(double, string?)> InRange(IEnumerable<(double, string?)> ticks) => ticks.Where(t => t.Item1 >= lo && t.Item1 <= hi).ToList();
        if (hi - lo >= 1.5)
        {
            int step = Math.Max(1, (int)Math.Ceiling((hi - lo) / 8));
            var decades = new List<(double, string?)>();
            for (int k = first; k <= last; k++)
            {
                decades.Add((k, k % step == 0 ? "1e" + k.ToString(CultureInfo.InvariantCulture) : null));
                if (step == 1)
                    for (int m = 2; m <= 9; m++) decades.Add((k + Math.Log10(m), null));
            }
            var inRange = InRange(decades);
            if (inRange.Count(t => t.Item2 is not null) >= 2) return inRange;
        }
        foreach (var labelled in new[] { new[] { 1, 2, 5 }, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 } })
        {
            var values = new List<(double, string?)>();
            for (int k = first; k <= last; k++)
            {
                for (int m = 1; m <= 9; m++)
                {
                    double v = m * Math.Pow(10, k);
                    values.Add((Math.Log10(v), labelled.Contains(m) ? v.ToString("G3", CultureInfo.InvariantCulture) : null));
                }
            }
            var inRange = InRange(values);
            if (inRange.Count(t => t.Item2 is not null) >= 3) return inRange;
        }
        // Narrower still: evenly spaced values with a 1-2-5 step, about five of them.
        double a = Math.Pow(10, lo), b = Math.Pow(10, hi);
        double raw = (b - a) / 5, pow = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double nice = new[] { 1.0, 2.0, 5.0, 10.0 }.First(f => f * pow >= raw) * pow;
        var linear = new List<(double, string?)>();
        for (double v = Math.Ceiling(a / nice) * nice; v <= b; v += nice)
            linear.Add((Math.Log10(v), v.ToString("G4", CultureInfo.InvariantCulture)));
        return linear;
    }

    private static void Finish(Plot plt, ChartOptions o, bool legend, Alignment? corner = Alignment.UpperRight)
    {
        plt.Title(o.Title);
        if (o.XLabel.Length > 0) plt.XLabel(o.XLabel);
        if (o.YLabel.Length > 0) plt.YLabel(o.YLabel);
        if (!legend) return;
        // Inside the data area only where it hides nothing; else beside it, below the plot.
        if (corner is Alignment inside) plt.ShowLegend(inside);
        else plt.ShowLegend(Edge.Bottom);
    }

    private static void SaveAll(Plot plt, ChartOptions o, string[] paths)
    {
        if (paths.Length == 0) throw new LossLandscapeException("Give at least one output path (.png or .svg).");
        if (o.Width < 16 || o.Height < 16) throw new LossLandscapeException($"Plot size {o.Width}x{o.Height} is too small; give at least 16x16 pixels.");
        foreach (var path in paths)
        {
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".png":
                    AtomicFile.WriteAllBytes(path, plt.GetImageBytes(o.Width, o.Height, ImageFormat.Png));
                    break;
                case ".svg":
                    AtomicFile.WriteAllText(path, SvgExport.GetSvg(plt, o.Width, o.Height));
                    break;
                default:
                    throw new LossLandscapeException($"Plot file '{path}' must end in .png or .svg.");
            }
        }
    }
}
