using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureDTests
{
    [Fact]
    public void FigureD_BothMethodsLearn_GdDescendsMoreSteadilyThanSgd()
    {
        var (_, dir) = FigureSmoke.Run("D");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var root = json.RootElement;
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        runs.Select(r => r.GetProperty("method").GetString()).Should().BeEquivalentTo(new[] { "GD", "SGD" });
        foreach (var r in runs)
        {
            r.GetProperty("finalTrainCost").GetDouble().Should().BeLessThan(0.5 * Math.Log(10), "both methods at least halve the initial cost ln 10");
            r.GetProperty("testMistakes").GetInt64().Should().BeInRange(1, 10000);
        }
        root.GetProperty("gdTrainCostRises")[0].GetInt32().Should().BeLessThan(root.GetProperty("sgdTrainCostRises")[0].GetInt32(),
            "the full gradient descends more steadily than minibatch steps");
        File.Exists(Path.Combine(dir, "cost.png")).Should().BeTrue();
    }
}
