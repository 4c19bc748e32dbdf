using LossLandscape.Figures;

namespace LossLandscape.Tests.Figures;

public class FigureProgramTests
{
    [Fact]
    public void List_HasOneLinePerFigure_StartingWithItsLetter()
    {
        var output = new StringWriter();
        LossLandscape.Figures.Program.Run(new[] { "--list" }, output, new StringWriter()).Should().Be(0);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(LossLandscape.Figures.Program.All.Count);
        foreach (var f in LossLandscape.Figures.Program.All)
            lines.Should().Contain(l => l.StartsWith(f.Id + " ", StringComparison.Ordinal) && l.Contains(f.Slides, StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownFigureOrOption_ExitsTwo()
    {
        var err = new StringWriter();
        LossLandscape.Figures.Program.Run(new[] { "Z" }, new StringWriter(), err).Should().Be(2);
        err.ToString().Should().Contain("no figure 'Z'");
        LossLandscape.Figures.Program.Run(new[] { "I", "--fast" }, new StringWriter(), err).Should().Be(2);
        err.ToString().Should().Contain("'--fast'");
    }

    [Fact]
    public void FigureI_ProductFormHasAValleyOfMinima()
    {
        var (outcome, dir) = FigureSmoke.Run("I");
        outcome.ClaimHolds.Should().BeTrue();
        File.Exists(Path.Combine(dir, "product.csv")).Should().BeTrue();
    }
}
