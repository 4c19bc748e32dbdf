using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Losses;
using LossLandscape.Specs;
using LossLandscape.Training;

namespace LossLandscape.Figures;

/// <summary>
/// Figure L (slide 26): connecting two independently trained solutions (same net, different seeds). The straight line
/// between them crosses a barrier (Freeman and Bruna 2017), a curved path found by optimization does not (Draxler et
/// al. 2018, AutoNEB; Garipov et al. 2018, Bezier curves): its maximum loss is close to the end points'.
/// </summary>
/// <remarks>
/// Barrier of a path phi: max_t L(phi(t)) - max(L(A), L(B)) on the training loss (<see cref="PathFinder.Connect"/>).
/// Both a quadratic Bezier curve with a trained middle point and the string method with fixed ends are searched.
/// </remarks>
public sealed partial class FigureL : Figure
{
    /// <inheritdoc />
    public override string Id => "L";

    /// <inheritdoc />
    public override string Title => "Connecting two independent solutions: straight line vs optimized path";

    /// <inheritdoc />
    public override string Slides => "26";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        // Full: ResNet-20 on CIFAR-10 (approx.: Garipov et al. connect ResNets/VGGs on CIFAR-10 with SGD-trained ends).
        var (model, trainCount, testCount, probeTrain, probeTest) = context.Pick(
            ("mlp:784-16-16-10", 400L, 200L, 400L, 200L),
            ("mlp:784-32-32-10", 2000L, 1000L, 2000L, 1000L),
            ("mlp:784-128-128-10", 10000L, 2000L, 5000L, 2000L),
            ("resnet20", 50000L, 10000L, 5000L, 2000L));
        var options = new TrainingRun(model, new TrainingOptions
        {
            BatchSize = context.Pick(32, 64, 64, 128),
            Steps = context.Pick(250L, 1200L, 4000L, 64000L),
            LearningRate = context.Pick(0.05, 0.05, 0.1),
            Momentum = 0.9,
            WeightDecay = context.Pick(0.0, 0.0, 5e-4),
            Schedule = ScheduleSpec.Parse(context.Pick("constant", "constant", "step:32000,48000:0.1")),
            EvalEvery = context.Pick(0L, 0L, 1000L),
            CheckpointEvery = context.Pick(0L, 0L, 2000L),
        }) { Data = context.Preset == Preset.Full ? "cifar10" : "fashion-mnist" };
        using var split = context.LoadData("cifar10");
        using var data = FigureData.Prepare(context, split, trainCount, testCount, options);
        using var first = context.Train("seed-a", options.With(o => o with { Seed = context.Seed }), data);
        using var second = context.Train("seed-b", options.With(o => o with { Seed = context.Seed + 1 }), data);

        var space = new ParameterSpace(first.Model);
        using var a = space.Get();
        using var b = new ParameterSpace(second.Model).Get();
        using var evalTrain = probeTrain < data.Train.Count ? data.Train.BalancedSubset(probeTrain, context.Seed + 2) : data.Train.Take(data.Train.Count);
        using var evalTest = probeTest < data.Test!.Count ? data.Test.BalancedSubset(probeTest, context.Seed + 3) : data.Test.Take(data.Test.Count);
        var probe = new LandscapeProbe(first.Model, evalTrain, evalTest, new ProbeOptions { ChunkSize = 1000 });

        var points = context.Pick(11, 21, 31, 41);
        using var bezier = PathFinder.Connect(probe, a, b, new PathOptions
        {
            Method = PathMethod.Bezier,
            Steps = context.Pick(150, 800, 2000, 8000),
            LearningRate = context.Pick(0.01, 0.005, 0.005),
            BatchSize = context.Pick(64L, 128L, 128L),
            EvaluationPoints = points,
            Seed = (int)context.Seed,
        });
        using var chain = PathFinder.Connect(probe, a, b, new PathOptions
        {
            Method = PathMethod.String,
            Steps = context.Pick(60, 150, 400, 2000),
            LearningRate = context.Pick(0.05, 0.05, 0.05),
            BatchSize = context.Pick(64L, 128L, 128L),
            Images = context.Pick(4, 6, 8, 12),
            EvaluationPoints = points,
            Seed = (int)context.Seed,
        });
        using var autoneb = ConnectAutoNeb(context, probe, a, b, points);
        foreach (var n in bezier.Nodes.Concat(chain.Nodes)) n.Dispose();

        context.WriteCsv("paths.csv", new[] { "t", "line_train_loss", "line_test_loss", "bezier_train_loss", "bezier_test_loss", "string_train_loss", "string_test_loss", "line_train_accuracy", "bezier_train_accuracy", "string_train_accuracy" },
            bezier.Line.Select((p, i) => (IReadOnlyList<object>)new object[]
            {
                p.T, p.Loss, p.TestLoss ?? double.NaN, bezier.Path[i].Loss, bezier.Path[i].TestLoss ?? double.NaN,
                chain.Path[i].Loss, chain.Path[i].TestLoss ?? double.NaN, p.Accuracy, bezier.Path[i].Accuracy, chain.Path[i].Accuracy,
            }));
        context.WriteJson("paths.json", new { bezier, @string = chain, autoneb });

        var t = bezier.Line.Select(p => p.T).ToArray();
        Charts.Lines(new[]
        {
            new Series($"straight line (barrier {bezier.LineBarrier:F3})", t, bezier.Line.Select(p => p.Loss).ToArray(), Color: 3),
            new Series($"Bezier curve (barrier {bezier.PathBarrier:F3})", t, bezier.Path.Select(p => p.Loss).ToArray(), Color: 0),
            new Series($"string method (barrier {chain.PathBarrier:F3})", t, chain.Path.Select(p => p.Loss).ToArray(), Color: 2),
            new Series($"AutoNEB (barrier {autoneb.PathBarrier:F3})", t, autoneb.Path.Select(p => p.Loss).ToArray(), Color: 1),
            new Series("straight line, test", t, bezier.Line.Select(p => p.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: 3),
            new Series("Bezier curve, test", t, bezier.Path.Select(p => p.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: 0),
            new Series("string method, test", t, chain.Path.Select(p => p.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: 2),
            new Series("AutoNEB, test", t, autoneb.Path.Select(p => p.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: 1),
        }, new ChartOptions(context.PlotTitle($"connecting two solutions of {model} (seeds {context.Seed}, {context.Seed + 1})"),
            "position along the path t", "loss (solid: train, dashed: test)"),
            context.PathOf("paths.png"), context.PathOf("paths.svg"));
        Charts.Lines(new[]
        {
            new Series("Bezier middle point (Adam)", Enumerable.Range(1, bezier.TrainingLoss.Count).Select(i => (double)i).ToArray(), bezier.TrainingLoss.ToArray(), Color: 0),
            new Series("string images (mean)", Enumerable.Range(1, chain.TrainingLoss.Count).Select(i => (double)i).ToArray(), chain.TrainingLoss.ToArray(), Color: 2),
            new Series("AutoNEB pivots (mean)", Enumerable.Range(1, autoneb.TrainingLoss.Count).Select(i => (double)i).ToArray(), autoneb.TrainingLoss.ToArray(), Color: 1),
        }, new ChartOptions(context.PlotTitle("path search: minibatch loss per step"), "step", "loss", LogY: true),
            context.PathOf("path-training.png"), context.PathOf("path-training.svg"));

        double ends = Math.Max(bezier.Line[0].Loss, bezier.Line[^1].Loss);
        double best = Math.Min(bezier.PathBarrier, chain.PathBarrier);
        var claim = bezier.PathBarrier < bezier.LineBarrier && chain.PathBarrier < bezier.LineBarrier && bezier.LineBarrier > 0;
        claim &= autoneb.PathBarrier < bezier.LineBarrier;
        context.WriteJson("summary.json", new
        {
            model,
            trainExamples = data.Train.Count,
            probeTrainExamples = evalTrain.Count,
            parameters = space.Count,
            endLosses = new[] { bezier.Line[0].Loss, bezier.Line[^1].Loss },
            lineBarrier = bezier.LineBarrier,
            bezierBarrier = bezier.PathBarrier,
            stringBarrier = chain.PathBarrier,
            autonebBarrier = autoneb.PathBarrier,
            autonebPivots = autoneb.Nodes.Count - 2,
            lineMaxTestLoss = bezier.Line.Max(p => p.TestLoss ?? double.NaN),
            bezierMaxTestLoss = bezier.Path.Max(p => p.TestLoss ?? double.NaN),
        });
        var inv = CultureInfo.InvariantCulture;
        return new FigureOutcome(claim,
            "the straight line between two independently trained solutions crosses a barrier; the optimized paths (Bezier, string and AutoNEB) have a lower one",
            new (string, string, string?)[]
            {
                ("setting", $"{model} ({space.Count} parameters), {data.Train.Count} training examples, seeds {context.Seed} and {context.Seed + 1}", "independently trained networks (Draxler: CIFAR ResNets/DenseNets)"),
                ("end point train losses", $"{bezier.Line[0].Loss:F4}, {bezier.Line[^1].Loss:F4}", null),
                ("straight-line barrier", bezier.LineBarrier.ToString("F4", inv), "a barrier (Freeman & Bruna)"),
                ("Bezier / string path barrier", $"{bezier.PathBarrier:F4} / {chain.PathBarrier:F4}", "close to 0: max loss close to the end points (Draxler, Garipov)"),
                ("best path barrier / line barrier", (best / bezier.LineBarrier).ToString("P1", inv), "near 0"),
                ("max test loss: line vs Bezier", $"{bezier.Line.Max(p => p.TestLoss ?? double.NaN):F3} vs {bezier.Path.Max(p => p.TestLoss ?? double.NaN):F3}", null),
                ("higher end loss", ends.ToString("F4", inv), null),
            }.Concat(AutoNebRows(autoneb)).ToArray(),
            // A barrier between two minima means something only when both ends are trained to comparable loss.
            new[]
            {
                Precondition.AllAtMost("end point train loss", new[] { ("seed a", bezier.Line[0].Loss), ("seed b", bezier.Line[^1].Loss) }, 0.5),
                Precondition.Comparable("end point train loss", "seed a", bezier.Line[0].Loss, "seed b", bezier.Line[^1].Loss),
                Precondition.AtLeast("evaluation points on each path", points, 11),
            });
    }
}
