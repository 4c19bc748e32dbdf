using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureOTests
{
    [Fact]
    public void GaussNewtonPart_CarriesTheOutliers_ForCeAndMse()
    {
        var (outcome, dir) = FigureSmoke.Run("O");
        outcome.ClaimHolds.Should().BeTrue(string.Join("; ", outcome.Numbers.Select(n => $"{n.Name}: {n.Ours}")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        foreach (var loss in new[] { "ce", "mse" })
        {
            var s = doc.RootElement.GetProperty(loss);
            double h = s.GetProperty("lambdaMaxH").GetDouble(), g = s.GetProperty("lambdaMaxG").GetDouble(), r = s.GetProperty("absR").GetDouble();
            g.Should().BeApproximately(h, 0.2 * h, loss);
            r.Should().BeLessThan(0.5 * h, loss);
        }
        // Hinge is piecewise linear in the output: G = 0 and H = R.
        var hinge = doc.RootElement.GetProperty("hinge");
        hinge.GetProperty("lambdaMaxG").GetDouble().Should().Be(0);
        hinge.GetProperty("absR").GetDouble().Should().BeApproximately(hinge.GetProperty("lambdaMaxH").GetDouble(), 0.02 * hinge.GetProperty("lambdaMaxH").GetDouble() + 1e-6);
        File.Exists(Path.Combine(dir, "density-ce.png")).Should().BeTrue();
    }
}
