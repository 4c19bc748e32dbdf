using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureKTests
{
    [Fact]
    public void FigureK_NoBarrierBetweenThePhasesEndPoints()
    {
        var (outcome, dir) = FigureSmoke.Run("K");
        outcome.ClaimHolds.Should().BeTrue("the LB and SB end points of one run lie in one basin");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = doc.RootElement;
        s.GetProperty("reusedFigureJRun").GetBoolean().Should().BeFalse("no figure J run lies beside a fresh folder");
        s.GetProperty("barrierOn01").GetDouble().Should().BeLessThanOrEqualTo(s.GetProperty("tolerance").GetDouble());
        // The SB phase continued from the LB end point and lowered the loss.
        s.GetProperty("lossAtSb").GetDouble().Should().BeLessThan(s.GetProperty("lossAtLb").GetDouble());
        File.ReadAllLines(Path.Combine(dir, "interpolation.csv")).Should().HaveCount(1 + 13);
    }

    [Fact]
    public void FigureK_ReusesFigureJsRunWhenItLiesBeside()
    {
        var root = TestUtil.TempDir();
        var log = new List<string>();
        var j = LossLandscape.Figures.Program.All.Single(f => f.Id == "J");
        var k = LossLandscape.Figures.Program.All.Single(f => f.Id == "K");
        j.Run(new LossLandscape.Figures.FigureContext(j, LossLandscape.Figures.Preset.Smoke, Path.Combine(root, "J"), null, 0, log.Add));
        var outcome = k.Run(new LossLandscape.Figures.FigureContext(k, LossLandscape.Figures.Preset.Smoke, Path.Combine(root, "K"), null, 0, log.Add));
        log.Should().Contain(l => l.StartsWith("reusing figure J's run", StringComparison.Ordinal));
        Directory.Exists(Path.Combine(root, "K", "runs")).Should().BeFalse("nothing is trained again");
        outcome.ClaimHolds.Should().BeTrue();
    }
}
