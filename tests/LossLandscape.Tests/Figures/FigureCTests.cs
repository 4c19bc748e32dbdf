using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureCTests
{
    [Fact]
    public void FigureC_RandomLabelsAreMemorized()
    {
        var (outcome, dir) = FigureSmoke.Run("C");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var root = json.RootElement;
        root.GetProperty("randomLabelTrainAccuracy").GetDouble().Should().BeGreaterThan(95, "the net memorizes 200 random labels");
        root.GetProperty("randomLabelTestAccuracy").GetDouble().Should().BeLessThan(25, "random labels teach nothing about the test set (chance is 10%)");
        // 250 updates on 200 examples fit the true labels (the regime the claim's second half needs) and count enough
        // evaluations; the claim's verdict then follows the comparison.
        outcome.Preconditions.Single(p => p.Requirement.StartsWith("true-label CE train accuracy", StringComparison.Ordinal)).Met.Should().BeTrue();
    }
}
