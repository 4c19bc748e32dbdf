using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureMTests
{
    [Fact]
    public void FigureM_SgdAndNoisyGdWithMatchedNoiseWalkDifferently()
    {
        var (outcome, dir) = FigureSmoke.Run("M");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var root = json.RootElement;
        var runs = root.GetProperty("runs").EnumerateArray().ToDictionary(r => r.GetProperty("run").GetString()!);
        runs.Keys.Should().BeEquivalentTo(new[] { "SGD", "GD + noise", "GD" });
        double D(string run, string what) => runs[run].GetProperty(what).GetDouble();
        // Matched noise size: sigma^2 D equals the measured E|g_B - g|^2.
        double sigma = root.GetProperty("sigma").GetDouble(), dims = root.GetProperty("parameters").GetDouble();
        (sigma * Math.Sqrt(dims)).Should().BeApproximately(root.GetProperty("sgdNoiseNorm").GetDouble(), 1e-9);
        // All three start at the same point.
        D("SGD", "firstLoss").Should().Be(D("GD + noise", "firstLoss"));
        D("SGD", "firstLoss").Should().Be(D("GD", "firstLoss"));
        // SGD raises the loss at clearly more of its steps than noisy GD, and dips across valley floors more often.
        D("SGD", "fractionOfStepsRaisingLoss").Should().BeGreaterThan(D("GD + noise", "fractionOfStepsRaisingLoss") + 0.1);
        D("SGD", "valleyCrossingFraction").Should().BeGreaterThan(D("GD + noise", "valleyCrossingFraction"));
        outcome.ClaimHolds.Should().BeTrue();
    }
}
