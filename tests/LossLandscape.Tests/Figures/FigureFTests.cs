namespace LossLandscape.Tests.Figures;

public class FigureFTests
{
    [Fact]
    public void MeanField_GdSgdGapShrinksWithTheta_AndWithWidthWhenThetaScalesWithIt()
    {
        var (outcome, dir) = FigureSmoke.Run("F");
        outcome.ClaimHolds.Should().BeTrue(string.Join("; ", outcome.Numbers.Select(n => $"{n.Name}: {n.Ours}")));
        var gap = File.ReadAllLines(Path.Combine(dir, "gap.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        // Widths 4 and 32; B in {1, 16, N/4}: 4 + 1 distinct (width, batch) pairs, every gap finite and >= 0.
        gap.Select(r => r[0]).Distinct().Should().BeEquivalentTo(new[] { "4", "32" });
        foreach (var r in gap) double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(0, 2);
        var risk = File.ReadAllLines(Path.Combine(dir, "risk.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        // GD on the wider net reaches a lower final test risk than on N = 4 (the mean-field limit is the better fit).
        double Final(string n) => risk.Where(r => r[0] == n && r[1] == "GD").Select(r => double.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture)).Last();
        Final("32").Should().BeLessThan(Final("4"));
    }
}
