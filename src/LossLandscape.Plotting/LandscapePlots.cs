using LossLandscape.IO;
using LossLandscape.Landscape;
using ScottPlot;

namespace LossLandscape.Plotting;

/// <summary>Image size and title of a plot.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Title">Title, or null for the default of each plot.</param>
public sealed record PlotOptions(int Width = 800, int Height = 600, string? Title = null);

/// <summary>
/// Plots of landscape results with ScottPlot 5. The file format follows the extension: <c>.png</c> or <c>.svg</c>.
/// Files are written atomically.
/// </summary>
public static class LandscapePlots
{
    /// <summary>A line scan: loss (left axis) and accuracy (right axis) against the coefficient a; test values dashed.</summary>
    public static void Line(LineScanResult result, string path, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = options ?? new PlotOptions();
        var plt = new Plot();
        var xs = result.Points.Select(p => p.Alpha).ToArray();
        AddLossAndAccuracy(plt, xs, result.Points.Select(p => p.Loss).ToArray(), result.Points.Select(p => p.Accuracy).ToArray(),
            result.Points.All(p => p.TestLoss is not null) ? result.Points.Select(p => p.TestLoss!.Value).ToArray() : null,
            result.Points.All(p => p.TestAccuracy is not null) ? result.Points.Select(p => p.TestAccuracy!.Value).ToArray() : null);
        if (result.Kind == "between")
        {
            plt.Add.VerticalLine(0, 1, Colors.Gray, LinePattern.Dotted);
            plt.Add.VerticalLine(1, 1, Colors.Gray, LinePattern.Dotted);
        }
        plt.XLabel(result.Kind == "between" ? "a  (theta = (1 - a) theta_A + a theta_B)" : "a  (theta = theta_0 + a d)");
        plt.Title(o.Title ?? $"Line scan{(result.NormPreserving ? " (norm-preserving)" : "")}, BatchNorm: {result.BatchNorm}");
        Save(plt, path, o);
    }

    /// <summary>A plane scan: heatmap of the loss with contour lines (log10 of the loss when it spans more than two decades) and the plane's anchors.</summary>
    public static void Plane(PlaneScanResult result, string path, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = options ?? new PlotOptions();
        var plt = new Plot();
        AddSurface(plt, result);
        foreach (var a in result.Anchors)
        {
            plt.Add.Marker(a.X, a.Y, MarkerShape.FilledCircle, 9, Colors.White);
            var t = plt.Add.Text(a.Name, a.X, a.Y);
            t.LabelFontColor = Colors.White;
            t.LabelFontSize = 14;
        }
        plt.XLabel("x (d1)");
        plt.YLabel("y (d2)");
        plt.Title(o.Title ?? $"Loss on the {result.Kind} plane, BatchNorm: {result.BatchNorm}");
        Save(plt, path, o);
    }

    /// <summary>A path between minima: loss along t for the straight line and the found path (accuracy on the right axis).</summary>
    public static void Path(PathResult result, string path, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = options ?? new PlotOptions();
        var plt = new Plot();
        var ts = result.Path.Select(p => p.T).ToArray();
        var line = plt.Add.Scatter(ts, result.Line.Select(p => p.Loss).ToArray(), Colors.Gray);
        line.LegendText = $"line loss (barrier {result.LineBarrier:G3})";
        line.LineWidth = 2;
        var found = plt.Add.Scatter(ts, result.Path.Select(p => p.Loss).ToArray(), Colors.C0);
        found.LegendText = $"{result.Method} loss (barrier {result.PathBarrier:G3})";
        found.LineWidth = 2;
        var lineAcc = plt.Add.Scatter(ts, result.Line.Select(p => p.Accuracy).ToArray(), Colors.Gray);
        lineAcc.LinePattern = LinePattern.Dashed;
        lineAcc.LegendText = "line accuracy";
        lineAcc.Axes.YAxis = plt.Axes.Right;
        var pathAcc = plt.Add.Scatter(ts, result.Path.Select(p => p.Accuracy).ToArray(), Colors.C1);
        pathAcc.LinePattern = LinePattern.Dashed;
        pathAcc.LegendText = $"{result.Method} accuracy";
        pathAcc.Axes.YAxis = plt.Axes.Right;
        plt.Axes.Right.Label.Text = "accuracy";
        plt.Axes.SetLimitsY(-0.02, 1.02, plt.Axes.Right);
        plt.YLabel("loss");
        plt.XLabel("t");
        plt.ShowLegend(Alignment.UpperRight);
        plt.Title(o.Title ?? $"Path between minima ({result.Method}), BatchNorm: {result.BatchNorm}");
        Save(plt, path, o);
    }

    /// <summary>A training trajectory: loss contours of the PCA plane with the projected checkpoints joined in order.</summary>
    public static void Trajectory(TrajectoryResult result, string path, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = options ?? new PlotOptions();
        var plt = new Plot();
        AddSurface(plt, result.Surface);
        var xs = result.Points.Select(p => p.X).ToArray();
        var ys = result.Points.Select(p => p.Y).ToArray();
        var sc = plt.Add.Scatter(xs, ys, Colors.White);
        sc.LineWidth = 2;
        sc.MarkerSize = 7;
        plt.Add.Marker(0, 0, MarkerShape.FilledSquare, 11, Colors.Red);
        plt.XLabel($"PC1 ({100 * result.ExplainedVariance[0]:F1}% of the variance)");
        plt.YLabel($"PC2 ({100 * result.ExplainedVariance[1]:F1}%)");
        plt.Title(o.Title ?? "Training trajectory on its top-2 PCA plane");
        Save(plt, path, o);
    }

    private static void AddLossAndAccuracy(Plot plt, double[] xs, double[] loss, double[] acc, double[]? testLoss, double[]? testAcc)
    {
        var l = plt.Add.Scatter(xs, loss, Colors.C0);
        l.LegendText = "train loss";
        l.LineWidth = 2;
        var a = plt.Add.Scatter(xs, acc, Colors.C1);
        a.LegendText = "train accuracy";
        a.LineWidth = 2;
        a.Axes.YAxis = plt.Axes.Right;
        if (testLoss is not null)
        {
            var tl = plt.Add.Scatter(xs, testLoss, Colors.C0);
            tl.LinePattern = LinePattern.Dashed;
            tl.LegendText = "test loss";
        }
        if (testAcc is not null)
        {
            var ta = plt.Add.Scatter(xs, testAcc, Colors.C1);
            ta.LinePattern = LinePattern.Dashed;
            ta.LegendText = "test accuracy";
            ta.Axes.YAxis = plt.Axes.Right;
        }
        plt.YLabel("loss");
        plt.Axes.Right.Label.Text = "accuracy";
        plt.Axes.SetLimitsY(-0.02, 1.02, plt.Axes.Right);
        plt.ShowLegend(Alignment.UpperCenter);
    }

    private static void AddSurface(Plot plt, PlaneScanResult r)
    {
        int nx = r.X.Length, ny = r.Y.Length;
        var finite = r.Losses.SelectMany(row => row).Where(v => double.IsFinite(v) && v > 0).ToArray();
        bool log = finite.Length > 0 && finite.Max() / finite.Min() > 100;
        double Z(double v) => log ? (v > 0 ? Math.Log10(v) : double.NaN) : v;
        var z = new double[ny, nx];
        var c = new Coordinates3d[ny, nx];
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
            {
                double v = Z(r.Losses[j][i]);
                z[ny - 1 - j, i] = v;
                c[j, i] = new Coordinates3d(r.X[i], r.Y[j], double.IsFinite(v) ? v : 0);
            }
        var hm = plt.Add.Heatmap(z);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        double dx = nx > 1 ? (r.X[^1] - r.X[0]) / (nx - 1) : 1, dy = ny > 1 ? (r.Y[^1] - r.Y[0]) / (ny - 1) : 1;
        hm.Rectangle = new CoordinateRect(r.X[0] - dx / 2, r.X[^1] + dx / 2, r.Y[0] - dy / 2, r.Y[^1] + dy / 2);
        var cb = plt.Add.ColorBar(hm);
        cb.Label = log ? "log10 loss" : "loss";
        if (nx >= 2 && ny >= 2)
        {
            var cl = plt.Add.ContourLines(c, 12);
            cl.LineColor = Colors.White.WithAlpha(0.8);
            cl.LabelStyle.IsVisible = false;
        }
        plt.Axes.SetLimits(r.X[0] - dx / 2, r.X[^1] + dx / 2, r.Y[0] - dy / 2, r.Y[^1] + dy / 2);
    }

    private static void Save(Plot plt, string path, PlotOptions o)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (o.Width < 16 || o.Height < 16) throw new LossLandscapeException($"Plot size {o.Width}x{o.Height} is too small; give at least 16x16 pixels.");
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
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
