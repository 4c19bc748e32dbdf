using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureETests
{
    [Fact]
    public void FigureE_NarrowNetFinalCostsSpreadMoreThanTheWideNets()
    {
        var (outcome, dir) = FigureSmoke.Run("E");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var groups = json.RootElement.GetProperty("groups").EnumerateArray().ToList();
        groups.Should().HaveCount(3);
        groups[0].GetProperty("finalTrainCosts").GetArrayLength().Should().Be(json.RootElement.GetProperty("seeds").GetInt32());
        double wideRange = groups[2].GetProperty("range").GetDouble();
        groups[0].GetProperty("range").GetDouble().Should().BeGreaterThan(wideRange, "GD on 784-5-10 ends at seed-dependent costs");
        groups[1].GetProperty("range").GetDouble().Should().BeGreaterThan(wideRange, "so does SGD");
        outcome.ClaimHolds.Should().BeTrue();
    }
}
