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
        return (outcome, dir);
    }
}
