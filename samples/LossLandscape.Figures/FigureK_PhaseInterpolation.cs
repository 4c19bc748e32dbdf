using System.Globalization;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using LossLandscape.Training;

namespace LossLandscape.Figures;

/// <summary>
/// Figure K (slide 25): the two end points of figure J's phases (LB at the switch, SB at the end) joined by a line and
/// extended beyond them, theta(a) = (1 - a) theta_LB + a theta_SB for a from -1 to 2: train and test loss and accuracy.
/// The talk's point: the SB phase climbed a hill in the loss curve, yet on the straight line between the two end points
/// there is no barrier: both lie in one basin.
/// </summary>
/// <remarks>
/// Barrier on [0, 1]: max_{a in [0,1]} L(a) - max(L(0), L(1)) of the training loss; "no barrier" means it is at most
/// tol = 0.02 + 0.05 max(L(0), L(1)) (evaluation on a finite grid of a and float32 arithmetic). The norm-preserving
/// variant rescales each point to the interpolated norm (1 - a)|theta_LB| + a|theta_SB| (<see cref="LandscapeProbe.Interpolate"/>).
/// The run is figure J's own when its folder (../J/runs/two-phase) holds a finished run with the same options; else it
/// is trained here.
/// </remarks>
public sealed class FigureK : Figure
{
    /// <inheritdoc />
    public override string Id => "K";

    /// <inheritdoc />
    public override string Title => "Line interpolation between the LB and SB end points of the two phases";

    /// <inheritdoc />
    public override string Slides => "25";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        var setup = TwoPhaseTraining.Setup(context);
        using var data = TwoPhaseTraining.Data(context, setup);
        string? dir = TwoPhaseTraining.FindFinishedRun(context, setup);
        bool reused = dir is not null;
        if (dir is null)
        {
            using var run = context.Train(TwoPhaseTraining.RunName, setup.Options, data);
            dir = run.Directory;
        }
        else
        {
            context.Log($"reusing figure J's run in {dir}");
        }

        using var model = setup.Options.CreateModel(data.Train.ExampleShape, data.Train.NumClasses, context.Device);
        var space = new ParameterSpace(model);
        TwoPhaseTraining.Load(model, TwoPhaseTraining.SwitchCheckpoint(dir, setup.SwitchAt));
        using var lb = ModelPoint.Capture(space);
        TwoPhaseTraining.Load(model, TwoPhaseTraining.FinalModel(dir));
        using var sb = ModelPoint.Capture(space);

        var alphas = Alphas.Linspace(-1, 2, context.Pick(13, 19, 31, 61));
        var probe = new LandscapeProbe(model, data.Train, data.Test, new ProbeOptions { ChunkSize = 500 });
        var line = probe.Interpolate(lb, sb, alphas);
        var normLine = probe.Interpolate(lb, sb, alphas, normPreserving: true);
        lb.Theta.Dispose();
        sb.Theta.Dispose();

        context.WriteCsv("interpolation.csv",
            new[] { "alpha", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "normpres_train_loss", "normpres_train_accuracy", "normpres_test_loss", "normpres_test_accuracy" },
            line.Points.Select((p, i) =>
            {
                var q = normLine.Points[i];
                return (IReadOnlyList<object>)new object[] { p.Alpha, p.Loss, p.Accuracy, p.TestLoss ?? double.NaN, p.TestAccuracy ?? double.NaN, q.Loss, q.Accuracy, q.TestLoss ?? double.NaN, q.TestAccuracy ?? double.NaN };
            }));
        context.WriteJson("interpolation.json", new { plain = line, normPreserving = normLine });

        Plot(context, line, "interpolation", "line interpolation between end points of the two phases");
        Plot(context, normLine, "interpolation-normpreserving", "norm-preserving interpolation between the two phases");

        var (barrier, tol, ends) = Barrier(line);
        var (npBarrier, _, _) = Barrier(normLine);
        var at = (double a) => line.Points.First(p => p.Alpha == a);
        var claim = barrier <= tol;
        context.WriteJson("summary.json", new
        {
            reusedFigureJRun = reused,
            run = dir,
            model = setup.Options.Model,
            switchAt = setup.SwitchAt,
            steps = setup.Training.Steps,
            normLb = line.NormA,
            normSb = line.NormB,
            barrierOn01 = barrier,
            tolerance = tol,
            normPreservingBarrierOn01 = npBarrier,
            lossAtMinus1 = at(-1).Loss,
            lossAtLb = at(0).Loss,
            lossAtSb = at(1).Loss,
            lossAt2 = at(2).Loss,
        });
        var inv = CultureInfo.InvariantCulture;
        return new FigureOutcome(claim,
            "no barrier on [0, 1] between the LB and SB end points (max training loss on the line at most the higher end point + tolerance)",
            new (string, string, string?)[]
            {
                ("run", reused ? "figure J's run, reused" : "trained here (no finished figure J run beside this folder)", null),
                ("train loss at a = -1, 0 (LB), 1 (SB), 2", string.Join(", ", new[] { -1.0, 0, 1, 2 }.Select(a => at(a).Loss.ToString("F3", inv))), "high, low, low, high (~7 at the ends of the range)"),
                ("barrier on [0, 1] (max loss - higher end point)", $"{barrier:F4} (tolerance {tol:F3}; norm-preserving {npBarrier:F4})", "none"),
                ("train / test accuracy at LB and SB", $"{at(0).Accuracy:P1} / {at(0).TestAccuracy:P1} and {at(1).Accuracy:P1} / {at(1).TestAccuracy:P1}", null),
                ("|theta_LB|, |theta_SB|", $"{line.NormA:F2}, {line.NormB:F2}", null),
            },
            // The line joins two trained points (the LB end after its plateau, the SB end), resolved on [0, 1].
            new[]
            {
                Precondition.AllAtMost("train loss at the end point", new[] { ("LB", at(0).Loss), ("SB", at(1).Loss) }, 0.5),
                Precondition.AtLeast("points on [0, 1]", line.Points.Count(p => p.Alpha >= 0 && p.Alpha <= 1), 5),
            });
    }

    /// <summary>Barrier of the training loss on [0, 1], its tolerance, and the higher end point's loss.</summary>
    internal static (double Barrier, double Tolerance, double Ends) Barrier(LineScanResult line)
    {
        var inside = line.Points.Where(p => p.Alpha >= 0 && p.Alpha <= 1).ToList();
        double ends = Math.Max(inside.First(p => p.Alpha == 0).Loss, inside.First(p => p.Alpha == 1).Loss);
        return (Barriers.AboveHigherEnd(inside.Select(p => p.Loss).ToList()), 0.02 + 0.05 * ends, ends);
    }

    private static void Plot(FigureContext context, LineScanResult line, string file, string what)
    {
        var a = line.Points.Select(p => p.Alpha).ToArray();
        var lossTop = line.Points.Max(p => Math.Max(p.Loss, p.TestLoss ?? 0));
        Charts.Lines(new[]
        {
            new Series("Train loss", a, line.Points.Select(p => p.Loss).ToArray(), Color: 0),
            new Series("Test loss", a, line.Points.Select(p => p.TestLoss ?? double.NaN).ToArray(), Color: 1),
            new Series("Train accuracy", a, line.Points.Select(p => p.Accuracy).ToArray(), Dashed: true, RightAxis: true, Color: 0),
            new Series("Test accuracy", a, line.Points.Select(p => p.TestAccuracy ?? double.NaN).ToArray(), Dashed: true, RightAxis: true, Color: 1),
            new Series("LB end (a = 0)", new[] { 0.0, 0.0 }, new[] { 0.0, lossTop }, Color: 3),
            new Series("SB end (a = 1)", new[] { 1.0, 1.0 }, new[] { 0.0, lossTop }, Color: 2),
        }, new ChartOptions(context.PlotTitle(what), "Interpolation coefficient", "Loss value", RightLabel: "Accuracy"),
            context.PathOf(file + ".png"), context.PathOf(file + ".svg"));
    }
}
