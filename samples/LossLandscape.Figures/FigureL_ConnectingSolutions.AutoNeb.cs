using System.Globalization;
using LossLandscape.Landscape;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure L, AutoNEB: the path of Draxler et al. 2018 beside the Bezier curve and the string, between the same two
/// solutions: a band of pivots moved by the gradient's component normal to the band in cycles with a decreasing
/// learning rate, new pivots inserted where the loss between neighbours is highest (<see cref="PathMethod.AutoNeb"/>).
/// </summary>
public sealed partial class FigureL
{
    /// <summary>The AutoNEB path between <paramref name="a"/> and <paramref name="b"/>, written to <c>autoneb.csv</c> (with its pivots' count in the summary rows).</summary>
    private static PathResult ConnectAutoNeb(FigureContext context, LandscapeProbe probe, Tensor a, Tensor b, int points)
    {
        var r = PathFinder.Connect(probe, a, b, new PathOptions
        {
            Method = PathMethod.AutoNeb,
            Steps = context.Pick(60, 150, 2000),
            Cycles = context.Pick(3, 4, 4),
            LearningRate = context.Pick(0.01, 0.01, 0.01),
            BatchSize = context.Pick(64L, 128L, 128L),
            Images = context.Pick(4, 6, 12),
            EvaluationPoints = points,
            Seed = (int)context.Seed,
        });
        context.WriteCsv("autoneb.csv", new[] { "t", "line_train_loss", "autoneb_train_loss", "autoneb_test_loss", "autoneb_train_accuracy", "autoneb_test_accuracy" },
            r.Path.Select((p, i) => (IReadOnlyList<object>)new object[] { p.T, r.Line[i].Loss, p.Loss, p.TestLoss ?? double.NaN, p.Accuracy, p.TestAccuracy ?? double.NaN }));
        return r;
    }

    /// <summary>The summary rows of the AutoNEB path.</summary>
    private static IEnumerable<(string, string, string?)> AutoNebRows(PathResult autoneb)
    {
        var inv = CultureInfo.InvariantCulture;
        double testBarrier = Barriers.AboveHigherEnd(autoneb.Path.Select(p => 1 - (p.TestAccuracy ?? double.NaN)).ToList());
        yield return ("AutoNEB path barrier (train loss)", $"{autoneb.PathBarrier.ToString("F4", inv)} with {autoneb.Nodes.Count - 2} pivots", "essentially no barrier (Draxler et al. 2018)");
        yield return ("AutoNEB test-error barrier", (100 * testBarrier).ToString("F2", inv) + " pp", null);
    }
}
