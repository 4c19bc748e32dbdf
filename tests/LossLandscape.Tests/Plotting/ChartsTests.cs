using LossLandscape.Plotting;

namespace LossLandscape.Tests.Plotting;

public class ChartsTests
{
    [Fact]
    public void Svg_KeepsDashedLines_InTheirOwnColour()
    {
        var dir = TestUtil.TempDir();
        double[] x = { 0, 1, 2, 3 };
        var series = new[]
        {
            new Series("train", x, new double[] { 3, 2, 1, 0.5 }, Color: 0),
            new Series("test", x, new double[] { 3.5, 2.5, 1.8, 1.6 }, Dashed: true, Color: 0),
            new Series("other", x, new double[] { 1, 1, 1, 1 }, Color: 1),
        };
        var svgPath = Path.Combine(dir, "c.svg");
        Charts.Lines(series, new ChartOptions("dashes"), svgPath, Path.Combine(dir, "c.png"));
        var svg = File.ReadAllText(svgPath);
        // Category10 blue for train and (dashed) test, orange for the other series; line and legend entry each.
        svg.Split("stroke=\"#1F77B4\" stroke-dasharray=").Length.Should().Be(3, "the dashed test curve and its legend entry");
        svg.Split("stroke=\"#1F77B4\"").Length.Should().Be(5, "train and test, each drawn and in the legend");
        svg.Split("stroke=\"#FF7F0E\"").Length.Should().Be(3);
        svg.Should().NotContain("#01F1", "no stand-in colour is left over");
    }

    [Fact]
    public void SvgExport_PutsTheLineStylesBack()
    {
        var plt = new ScottPlot.Plot();
        var sc = plt.Add.Scatter(new double[] { 0, 1 }, new double[] { 1, 0 }, ScottPlot.Colors.Red);
        sc.LinePattern = ScottPlot.LinePattern.Dotted;
        var svg = SvgExport.GetSvg(plt, 200, 100);
        svg.Should().Contain("stroke=\"#FF0000\" stroke-dasharray=");
        sc.LinePattern.Name.Should().Be(ScottPlot.LinePattern.Dotted.Name);
        sc.LineColor.Should().Be(ScottPlot.Colors.Red);
    }

    [Fact]
    public void LogAxisTicks_LabelDecadesOverAWideRange_AndValuesWithinADecade()
    {
        // 1e-4 .. 1e2: decades labelled, 2..9 as minor ticks.
        var wide = Ticks(-4, 2);
        wide.Where(t => t.Label is not null).Select(t => t.Label).Should().Equal("1e-4", "1e-3", "1e-2", "1e-1", "1e0", "1e1", "1e2");
        wide.Count(t => t.Label is null).Should().BeGreaterThan(40);
        // 1e-12 .. 1e12: at most about eight labels, every third decade.
        var huge = Ticks(-12, 12).Where(t => t.Label is not null).Select(t => t.Label).ToArray();
        huge.Length.Should().BeLessThanOrEqualTo(11);
        huge.Should().Contain("1e0").And.Contain("1e-12");
        // 0.3 .. 2 (less than a decade): 1-2-5 values.
        var narrow = Ticks(Math.Log10(0.3), Math.Log10(2)).Where(t => t.Label is not null).Select(t => t.Label).ToArray();
        narrow.Should().Contain(new[] { "0.5", "1", "2" });
        // 0.41 .. 0.45: too narrow for 1..9; evenly spaced values, all inside the padded range.
        var tiny = Ticks(Math.Log10(0.41), Math.Log10(0.45));
        tiny.Count.Should().BeInRange(3, 12);
        tiny.Select(t => double.Parse(t.Label!, System.Globalization.CultureInfo.InvariantCulture)).Should().OnlyContain(v => v > 0.36 && v < 0.51);
        // 0.2 .. 8 and 0.15 .. 4.5 span over 1.5 decades but show one decade mark only: 1-2-5 values instead.
        Labels(Ticks(Math.Log10(0.2), Math.Log10(8))).Should().Equal("0.2", "0.5", "1", "2", "5");
        Labels(Ticks(Math.Log10(0.15), Math.Log10(4.5))).Should().Equal("0.2", "0.5", "1", "2", "5");
        var bad = () => Charts.LogAxisTicks(1, 0);
        bad.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void LegendCorner_AvoidsTheData()
    {
        var falling = Enumerable.Range(0, 50).Select(i => (X: (double)i, Y: 10.0 - i / 5.0, Right: false)).ToList();
        Charts.LegendCorner(falling, 2).Should().Be(ScottPlot.Alignment.UpperRight, "a falling curve leaves the upper right empty");
        var rising = falling.Select(p => (p.X, Y: -p.Y, p.Right)).ToList();
        Charts.LegendCorner(rising, 2).Should().Be(ScottPlot.Alignment.UpperLeft);
        // A falling curve plus a vertical marker line at the right edge (two points, drawn as a segment): only the
        // lower left is free.
        var marked = falling.Concat(new[] { (X: 49.0, Y: 0.2, Right: false), (X: 49.0, Y: 10.0, Right: false) }).ToList();
        Charts.LegendCorner(marked, 3).Should().Be(ScottPlot.Alignment.LowerLeft);
        // A cluster in the upper right (and one point fixing the range at the origin): the upper left is free.
        var cluster = Enumerable.Range(0, 20).Select(i => (X: 0.8 + i / 100.0, Y: 0.9 + i / 200.0, Right: false)).Append((0.0, 0.0, false)).ToList();
        Charts.LegendCorner(cluster, 2).Should().Be(ScottPlot.Alignment.UpperLeft);
        Charts.LegendCorner(Array.Empty<(double, double, bool)>(), 1).Should().Be(ScottPlot.Alignment.UpperRight);
        // Data in every corner: no corner hides nothing, so the legend goes outside the data area.
        var everywhere = new[] { (0.0, 0.0, false), (1.0, 0.0, false), (0.0, 1.0, false), (1.0, 1.0, false) };
        Charts.LegendCorner(everywhere, 2).Should().BeNull();
    }

    private static IReadOnlyList<(double Position, string? Label)> Ticks(double lo, double hi)
    {
        var (a, b) = Charts.PaddedLogRange(lo, hi);
        return Charts.LogAxisTicks(a, b);
    }

    private static string?[] Labels(IReadOnlyList<(double Position, string? Label)> ticks) =>
        ticks.Where(t => t.Label is not null).Select(t => t.Label).ToArray();
}
