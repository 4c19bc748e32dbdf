using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureBTests
{
    [Fact]
    public void FigureB_FullRecipeBeatsPlainSgdOnRawData()
    {
        var (outcome, dir) = FigureSmoke.Run("B");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToDictionary(r => r.GetProperty("run").GetString()!, r => r.GetProperty("testAccuracy").GetDouble());
        runs.Keys.Should().BeEquivalentTo(new[] { "all", "no-momentum", "no-wd", "no-prep", "none" });
        runs["all"].Should().BeGreaterThan(runs["none"], "momentum, weight decay and preprocessing together help");
        outcome.ClaimHolds.Should().BeTrue();
        File.ReadAllLines(Path.Combine(dir, "ablation.csv")).Should().HaveCount(6);
    }
}
