using System.Globalization;
using LossLandscape.Landscape;

namespace LossLandscape.Specs;

/// <summary>The front ends' coordinate words: grid ranges (<c>-1:1:21</c>), shards (<c>3/8</c>) and line coefficients (<c>-1:2:31</c> or a list).</summary>
public static class CoordinateSpec
{
    /// <summary>The range syntax <see cref="ParseGrid"/> accepts: <c>MIN:MAX:COUNT</c>.</summary>
    public const string RangeSyntax = "MIN:MAX:COUNT (for example -1:1:21)";

    /// <summary>Builds a grid from two ranges <see cref="RangeSyntax"/> (x, then y).</summary>
    /// <exception cref="LossLandscapeException">Malformed range.</exception>
    public static GridSpec ParseGrid(string xRange, string yRange)
    {
        var (x0, x1, nx) = ParseRange(xRange, "x");
        var (y0, y1, ny) = ParseRange(yRange, "y");
        var g = new GridSpec(x0, x1, nx, y0, y1, ny);
        g.Validate();
        return g;
    }

    private static (double, double, int) ParseRange(string? text, string axis)
    {
        var p = (text ?? "").Split(':');
        if (p.Length != 3 ||
            !double.TryParse(p[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ||
            !double.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) ||
            !int.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new LossLandscapeException($"The {axis} range '{text}' is not valid: use {RangeSyntax}.");
        return (a, b, n);
    }

    /// <summary>The shard syntax <see cref="ParseShard"/> accepts.</summary>
    public const string ShardSyntax = "i/n with 0 <= i < n (for example 0/4; a Slurm array passes $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)";

    /// <summary>Parses <c>i/n</c>.</summary>
    /// <exception cref="LossLandscapeException">Malformed text.</exception>
    public static ShardSpec ParseShard(string? text, ShardLayout layout = ShardLayout.RoundRobin)
    {
        var p = (text ?? "").Split('/');
        if (p.Length != 2 || !int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ||
            !int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new LossLandscapeException($"Shard '{text}' is not valid: use {ShardSyntax}.");
        if (n < 1 || i >= n) throw new LossLandscapeException($"Shard '{text}' is not valid: use {ShardSyntax}.");
        return new ShardSpec(i, n, layout);
    }

    /// <summary>What <see cref="ParseAlphas"/> accepts.</summary>
    public const string AlphasSyntax = "START:STOP:COUNT (COUNT evenly spaced values, ends included, e.g. -1:2:31) or a comma-separated list (e.g. -1,-0.5,0,0.5,1)";

    /// <summary>Parses <see cref="AlphasSyntax"/>.</summary>
    /// <exception cref="LossLandscapeException">Malformed text.</exception>
    public static double[] ParseAlphas(string? text)
    {
        var s = (text ?? "").Trim();
        if (s.Length == 0) throw new LossLandscapeException($"No coefficients given: use {AlphasSyntax}.");
        if (s.Contains(':'))
        {
            var p = s.Split(':');
            if (p.Length != 3 || !TryDouble(p[0], out var a) || !TryDouble(p[1], out var b) ||
                !int.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || !double.IsFinite(a) || !double.IsFinite(b))
                throw new LossLandscapeException($"Coefficients '{text}' are not valid: use {AlphasSyntax}.");
            return Alphas.Linspace(a, b, n);
        }
        var list = new List<double>();
        foreach (var part in s.Split(','))
        {
            if (!TryDouble(part, out var v) || !double.IsFinite(v))
                throw new LossLandscapeException($"Coefficient '{part}' in '{text}' is not a number: use {AlphasSyntax}.");
            list.Add(v);
        }
        return list.ToArray();
    }

    private static bool TryDouble(string s, out double v) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v);

}
