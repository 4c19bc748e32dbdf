using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureQTests
{
    [Fact]
    public void SlqDensity_IntegratesToOne_AndMatchesHutchinsonAndLanczos()
    {
        var (outcome, dir) = FigureSmoke.Run("Q");
        outcome.ClaimHolds.Should().BeTrue(string.Join("; ", outcome.Numbers.Select(n => $"{n.Name}: {n.Ours}")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = doc.RootElement;
        s.GetProperty("densityIntegral").GetDouble().Should().BeApproximately(1, 1e-6);
        s.GetProperty("weightSumError").GetDouble().Should().BeLessThan(1e-6);
        double trace = s.GetProperty("traceEstimate").GetDouble(), n = s.GetProperty("dimension").GetDouble();
        s.GetProperty("mean").GetDouble().Should().BeApproximately(trace / n, 1e-3 * Math.Abs(trace / n) + 1e-9);
        s.GetProperty("sameProbeHutchinson").GetDouble().Should().BeApproximately(trace, 1e-3 * Math.Abs(trace));
        s.GetProperty("maxNode").GetDouble().Should().BeApproximately(s.GetProperty("lanczosTop").GetDouble(), 0.05 * s.GetProperty("lanczosTop").GetDouble());
        // A trained network's Hessian: positive trace, top eigenvalue far above the mean (outliers over a bulk near 0).
        trace.Should().BeGreaterThan(0);
        s.GetProperty("lanczosTop").GetDouble().Should().BeGreaterThan(10 * trace / n);
    }
}
