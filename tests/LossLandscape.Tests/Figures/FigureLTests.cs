using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureLTests
{
    [Fact]
    public void FigureL_FoundPathsBarrierIsBelowTheStraightLines()
    {
        var (outcome, dir) = FigureSmoke.Run("L");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = doc.RootElement;
        double line = s.GetProperty("lineBarrier").GetDouble();
        line.Should().BeGreaterThan(0, "two independently trained nets are separated by a barrier on the straight line");
        s.GetProperty("bezierBarrier").GetDouble().Should().BeLessThan(line);
        s.GetProperty("stringBarrier").GetDouble().Should().BeLessThan(line);
        s.GetProperty("autonebBarrier").GetDouble().Should().BeLessThan(line);
        s.GetProperty("autonebPivots").GetInt32().Should().BeInRange(1, 4);
        File.ReadAllLines(Path.Combine(dir, "autoneb.csv")).Should().HaveCount(1 + 11);
        outcome.ClaimHolds.Should().BeTrue();
        File.ReadAllLines(Path.Combine(dir, "paths.csv")).Should().HaveCount(1 + 11);
    }
}
