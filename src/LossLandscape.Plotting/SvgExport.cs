using System.Globalization;
using ScottPlot;

namespace LossLandscape.Plotting;

/// <summary>
/// SVG export that keeps dashed and dotted lines. Skia's SVG canvas supports no path effects: it prints
/// "Unsupported path effect in addPaint" and drops every dashed line. So the dashed lines are drawn solid in a unique
/// stand-in colour, and the SVG's <c>stroke</c> of that colour is replaced by the real colour plus a
/// <c>stroke-dasharray</c> with the pattern's intervals.
/// </summary>
internal static class SvgExport
{
    public static string GetSvg(Plot plt, int width, int height)
    {
        var patterned = new List<(LineStyle Style, LinePattern Pattern, Color Color, string StandIn)>();
        foreach (var style in plt.GetPlottables().OfType<IHasLine>().Select(p => p.LineStyle).Distinct())
        {
            if (style.Pattern.Intervals is not { Length: > 0 }) continue;
            int k = patterned.Count;
            // A colour no chart uses (odd low bits in every channel), distinct per style.
            var standIn = new Color(1, (byte)(0xF1 - 2 * (k / 100)), (byte)(1 + 2 * (k % 100)), style.Color.A);
            patterned.Add((style, style.Pattern, style.Color, Hex(standIn)));
            style.Pattern = LinePattern.Solid;
            style.Color = standIn;
        }
        string svg;
        try
        {
            svg = plt.GetSvgXml(width, height);
        }
        finally
        {
            foreach (var (style, pattern, color, _) in patterned)
            {
                style.Pattern = pattern;
                style.Color = color;
            }
        }
        foreach (var (_, pattern, color, standIn) in patterned)
        {
            var dashes = string.Join(",", pattern.Intervals.Select(i => i.ToString("G4", CultureInfo.InvariantCulture)));
            svg = svg.Replace($"stroke=\"{standIn}\"", $"stroke=\"{Hex(color)}\" stroke-dasharray=\"{dashes}\"", StringComparison.OrdinalIgnoreCase);
        }
        return svg;
    }

    private static string Hex(Color c) => string.Create(CultureInfo.InvariantCulture, $"#{c.R:X2}{c.G:X2}{c.B:X2}");
}
