using LossLandscape.Figures;

namespace LossLandscape.Tests.Figures;

/// <summary>Runs one figure at the smoke size into a temporary folder and checks what every figure must write.</summary>
internal static class FigureSmoke
{
    public static (FigureOutcome Outcome, string Dir) Run(string id)
    {
        var figure = LossLandscape.Figures.Program.All.Single(f => f.Id == id);
        var dir = TestUtil.TempDir();
        var log = new List<string>();
        var ctx = new FigureContext(figure, Preset.Smoke, dir, null, 0, log.Add);
        var outcome = figure.Run(ctx);
        Directory.GetFiles(dir, "*.png").Should().NotBeEmpty("every figure writes a PNG");
        Directory.GetFiles(dir, "*.svg").Should().NotBeEmpty("and an SVG");
        (Directory.GetFiles(dir, "*.csv").Length + Directory.GetFiles(dir, "*.json").Length).Should().BeGreaterThan(0, "and the numbers behind it");
        foreach (var png in Directory.GetFiles(dir, "*.png")) new FileInfo(png).Length.Should().BeGreaterThan(2000, png);
        outcome.Numbers.Should().NotBeEmpty();
        outcome.Preconditions.Should().NotBeEmpty("every claim states what must be true for it to mean anything");
        if (outcome.Preconditions.All(p => p.Met)) outcome.Status.Should().Be(outcome.ClaimHolds ? ClaimStatus.Holds : ClaimStatus.DoesNotHold);
        else
        {
            outcome.Status.Should().Be(ClaimStatus.NotEstablished);
            foreach (var p in outcome.Preconditions.Where(p => !p.Met)) outcome.Verdict.Should().Contain(p.Observed, "the verdict gives the reason");
        }
        return (outcome, dir);
    }
}
