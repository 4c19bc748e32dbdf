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
    public void Run_WritesTheVerdictWithItsPreconditions_ToSummaryAndJson_AndAllExitsZero()
    {
        var dir = TestUtil.TempDir();
        var output = new StringWriter();
        LossLandscape.Figures.Program.Run(new[] { "I", "--smoke", "--out", dir }, output, new StringWriter()).Should().Be(0);
        // The smoke grid has 21 points per axis: the precondition is met and the claim is judged.
        output.ToString().Should().Contain("precondition: grid points per axis >= 21: met (grid points per axis = 21)");
        output.ToString().Should().Contain("claim: ").And.Contain(": holds");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "claim.json")));
        json.RootElement.GetProperty("status").GetString().Should().Be("holds");
        json.RootElement.GetProperty("preset").GetString().Should().Be("smoke");
        var pre = json.RootElement.GetProperty("preconditions")[0];
        pre.GetProperty("met").GetBoolean().Should().BeTrue();
        pre.GetProperty("requirement").GetString().Should().Be("grid points per axis >= 21");
    }

    [Fact]
    public void Medium_IsAPreset_InTheUsage()
    {
        var output = new StringWriter();
        LossLandscape.Figures.Program.Run(new[] { "--help" }, output, new StringWriter()).Should().Be(0);
        output.ToString().Should().Contain("--medium");
        LossLandscape.Figures.Program.Run(new[] { "I", "--medium", "--bogus" }, new StringWriter(), new StringWriter()).Should().Be(2);
    }

    [Fact]
    public void FigureI_ProductFormHasAValleyOfMinima()
    {
        var (outcome, dir) = FigureSmoke.Run("I");
        outcome.ClaimHolds.Should().BeTrue();
        File.Exists(Path.Combine(dir, "product.csv")).Should().BeTrue();
    }
}
