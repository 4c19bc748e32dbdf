namespace LossLandscape.Tests.Figures;

public class FigureJTests
{
    [Fact]
    public void FigureJ_TwoPhaseRun_SwitchesBatchSizeAndKeepsTraining()
    {
        var (outcome, dir) = FigureSmoke.Run("J");
        var history = File.ReadAllLines(Path.Combine(dir, "history.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        // Batch sizes: the large one up to the switch, the small one after it.
        history.Where(r => r[1] == "LB" && r[2].Length > 0).Select(r => r[2]).Distinct().Should().Equal("256");
        history.Where(r => r[1] == "SB").Select(r => r[2]).Distinct().Should().Equal("16");
        // The LB end point is kept for figure K.
        File.Exists(Path.Combine(dir, "runs", "two-phase", "checkpoints", "step-00000030", "model.safetensors")).Should().BeTrue();
        double Loss(string[] r) => double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture);
        // Training makes progress in both phases: the final loss is below the loss at the switch, which is below the start.
        Loss(history[^1]).Should().BeLessThan(Loss(history.Last(r => r[1] == "LB")));
        Loss(history.Last(r => r[1] == "LB")).Should().BeLessThan(Loss(history[0]));
        outcome.Numbers.Should().Contain(n => n.Name.StartsWith("train loss at the switch", StringComparison.Ordinal));
    }
}
