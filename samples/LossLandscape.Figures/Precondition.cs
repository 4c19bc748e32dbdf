using System.Globalization;

namespace LossLandscape.Figures;

/// <summary>
/// One thing that must be true for a figure's comparison to mean anything (a net trained below a stated loss, two nets
/// trained to comparable loss, a grid fine enough, enough seeds), and whether it was true in this run.
/// </summary>
/// <param name="Requirement">What is required, in words with its threshold ("train loss of resnet56 &lt;= 0.5").</param>
/// <param name="Met">Whether it was met in this run.</param>
/// <param name="Observed">What was measured ("train loss of resnet56 = 0.213").</param>
public sealed record Precondition(string Requirement, bool Met, string Observed)
{
    /// <summary>Whole numbers (counts) as they are, others to 4 significant digits.</summary>
    private static string F(double v) =>
        Math.Abs(v) < 1e12 && v == Math.Round(v) ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Met when <paramref name="value"/> &lt;= <paramref name="limit"/> (NaN never meets it).</summary>
    public static Precondition AtMost(string quantity, double value, double limit) =>
        new($"{quantity} <= {F(limit)}", value <= limit, $"{quantity} = {F(value)}");

    /// <summary>Met when <paramref name="value"/> &gt;= <paramref name="limit"/> (NaN never meets it).</summary>
    public static Precondition AtLeast(string quantity, double value, double limit) =>
        new($"{quantity} >= {F(limit)}", value >= limit, $"{quantity} = {F(value)}");

    /// <summary>
    /// Met when two non-negative quantities (two nets' training losses) are comparable:
    /// max(a, b) &lt;= <paramref name="factor"/> min(a, b) + <paramref name="slack"/> (the slack lets two nearly zero
    /// losses compare).
    /// </summary>
    public static Precondition Comparable(string quantity, string nameA, double a, string nameB, double b, double factor = 2, double slack = 0.02) =>
        new($"{quantity} comparable: max <= {F(factor)} x min + {F(slack)}",
            Math.Max(a, b) <= factor * Math.Min(a, b) + slack,
            $"{quantity}: {nameA} {F(a)}, {nameB} {F(b)}");

    /// <summary>Every value of a group meets <paramref name="limit"/> from below (a loss of every net of a figure).</summary>
    public static Precondition AllAtMost(string quantity, IEnumerable<(string Name, double Value)> values, double limit)
    {
        var v = values.ToList();
        return new($"{quantity} <= {F(limit)} for every {(v.Count == 1 ? "run" : $"one of {v.Count} runs")}",
            v.Count > 0 && v.All(x => x.Value <= limit), $"{quantity}: {string.Join(", ", v.Select(x => $"{x.Name} {F(x.Value)}"))}");
    }

    /// <summary>Every value of a group meets <paramref name="limit"/> from above (an accuracy of every net of a figure).</summary>
    public static Precondition AllAtLeast(string quantity, IEnumerable<(string Name, double Value)> values, double limit)
    {
        var v = values.ToList();
        return new($"{quantity} >= {F(limit)} for every {(v.Count == 1 ? "run" : $"one of {v.Count} runs")}",
            v.Count > 0 && v.All(x => x.Value >= limit), $"{quantity}: {string.Join(", ", v.Select(x => $"{x.Name} {F(x.Value)}"))}");
    }

    /// <summary>The verdict of a claim under its preconditions: "holds" / "does not hold" only when every one is met.</summary>
    public static ClaimStatus Judge(bool claimHolds, IReadOnlyList<Precondition> preconditions)
    {
        ArgumentNullException.ThrowIfNull(preconditions);
        if (preconditions.Any(p => !p.Met)) return ClaimStatus.NotEstablished;
        return claimHolds ? ClaimStatus.Holds : ClaimStatus.DoesNotHold;
    }
}
