using System.Globalization;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Plotting;
using LossLandscape.Losses;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure J (slide 24): continuous training in two phases. A bare AlexNet (no BatchNorm, no dropout) is trained with a
/// large batch (LB); at the switch step training continues from the same weights with a small batch (SB) and the same
/// learning rate. Train and test loss and accuracy are measured every k steps; after the switch the training loss first
/// rises (SB noise kicks the weights out of the LB end point) and then falls below its level at the switch.
/// </summary>
/// <remarks>
/// One run with <see cref="TrainingOptions.SwitchBatchSizeAt"/>: batch size B_1 for updates t &lt; S, B_2 from S on. A
/// checkpoint is written at step S (the LB end point, reused by figure K). Rise after the switch = max over the
/// measurements in (S, T] of the training loss - the training loss at S; fall = that maximum - the final training loss.
/// </remarks>
public sealed class FigureJ : Figure
{
    /// <inheritdoc />
    public override string Id => "J";

    /// <inheritdoc />
    public override string Title => "Two-phase training: large batch, then switch to small batch";

    /// <inheritdoc />
    public override string Slides => "24";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        var setup = TwoPhaseTraining.Setup(context);
        using var data = TwoPhaseTraining.Data(context, setup);
        using var run = context.Train(TwoPhaseTraining.RunName, setup.Options, data);
        var h = run.Result.History.Where(r => r.TrainLoss is not null).ToList();
        long s = setup.SwitchAt;

        context.WriteCsv("history.csv", new[] { "step", "phase", "batch_size", "train_loss", "train_accuracy", "test_loss", "test_accuracy" },
            h.Select(r => (IReadOnlyList<object>)new object[]
            {
                r.Step, r.Step <= s ? "LB" : "SB", r.BatchSize?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.TrainLoss!.Value, r.TrainAccuracy!.Value, r.TestLoss ?? double.NaN, r.TestAccuracy ?? double.NaN,
            }));

        var steps = h.Select(r => (double)r.Step).ToArray();
        double[] Col(Func<TrainingRecord, double?> f) => h.Select(r => f(r) ?? double.NaN).ToArray();
        var trainLoss = Col(r => r.TrainLoss);
        var testLoss = Col(r => r.TestLoss);
        double top = Math.Max(trainLoss.Concat(testLoss).Where(double.IsFinite).DefaultIfEmpty(1).Max(), 1.0);
        Charts.Lines(new[]
        {
            new Series("Train loss", steps, trainLoss, Color: 0),
            new Series("Test loss", steps, testLoss, Color: 1),
            new Series("Train acc", steps, Col(r => r.TrainAccuracy), Dashed: true, RightAxis: true, Color: 0),
            new Series("Test acc", steps, Col(r => r.TestAccuracy), Dashed: true, RightAxis: true, Color: 1),
            new Series($"switch LB {setup.Training.BatchSize} -> SB {setup.Training.SecondBatchSize} (step {s})", new double[] { s, s }, new[] { 0.0, top }, Color: 3),
        }, new ChartOptions(context.PlotTitle($"continuous training in two phases, {setup.Options.Model}"),
            $"Number of steps (measurements every {setup.Training.EvalEvery})", "Loss value", RightLabel: "Accuracy"),
            context.PathOf("two-phase.png"), context.PathOf("two-phase.svg"));

        var atSwitch = h.Last(r => r.Step <= s);
        var after = h.Where(r => r.Step > s).ToList();
        var end = h[^1];
        double peak = after.Max(r => r.TrainLoss!.Value);
        double rise = peak - atSwitch.TrainLoss!.Value, fall = peak - end.TrainLoss!.Value;
        bool finalBelowSwitch = end.TrainLoss!.Value < atSwitch.TrainLoss!.Value;
        var claim = rise > 0 && fall > 0 && finalBelowSwitch;
        double plateau = TwoPhaseTraining.LargeBatchPlateau(h, s);

        context.WriteJson("summary.json", new
        {
            model = setup.Options.Model,
            trainExamples = setup.TrainCount,
            testExamples = setup.TestCount,
            largeBatch = setup.Training.BatchSize,
            smallBatch = setup.Training.SecondBatchSize,
            switchAt = s,
            steps = setup.Training.Steps,
            learningRate = setup.Training.LearningRate,
            evalEvery = setup.Training.EvalEvery,
            atSwitch = new { atSwitch.TrainLoss, atSwitch.TrainAccuracy, atSwitch.TestLoss, atSwitch.TestAccuracy },
            peakTrainLossAfterSwitch = peak,
            final = new { end.TrainLoss, end.TrainAccuracy, end.TestLoss, end.TestAccuracy },
            riseAfterSwitch = rise,
            fallAfterPeak = fall,
            trainingSeconds = end.Seconds,
        });
        var inv = CultureInfo.InvariantCulture;
        return new FigureOutcome(claim,
            "after the switch to the small batch the training loss rises above its value at the switch, then falls below it",
            new (string, string, string?)[]
            {
                ("setting", $"{setup.Options.Model}, {setup.TrainCount} train / {setup.TestCount} test examples, LB {setup.Training.BatchSize} for {s} steps, then SB {setup.Training.SecondBatchSize} to step {setup.Training.Steps}, lr {setup.Training.LearningRate.ToString(inv)}",
                    "bare AlexNet, CIFAR-10, 50k steps, measured every 100 (LB/SB sizes and switch step approx.)"),
                ("train loss at the switch -> peak after it -> final", $"{atSwitch.TrainLoss:F3} -> {peak:F3} -> {end.TrainLoss:F3}", "rises after the switch, then falls"),
                ("train / test accuracy at the switch", $"{atSwitch.TrainAccuracy:P1} / {atSwitch.TestAccuracy:P1}", null),
                ("train / test accuracy at the end", $"{end.TrainAccuracy:P1} / {end.TestAccuracy:P1}", "train ~100%, test well below"),
                ("train loss drop over the last quarter of the LB phase", plateau.ToString("F3", inv), "a plateau (the slide switches there)"),
            },
            // The slide switches once the large-batch phase has plateaued: the rise after the switch is then the small
            // batch's doing, not the end of a descent still under way.
            new[]
            {
                Precondition.AtMost("train loss drop over the last quarter of the LB phase", plateau, 0.05),
                Precondition.AtLeast("measurements after the switch", after.Count, 10),
            });
    }
}

/// <summary>The two-phase (LB then SB) run shared by figures J and K.</summary>
/// <param name="Options">The run (one run with a batch-size switch).</param>
/// <param name="TrainCount">Training examples used.</param>
/// <param name="TestCount">Test examples used.</param>
/// <param name="Downsample">Images are average-pooled by this factor (1 = as read; 2 makes 28x28 into 14x14, 4x cheaper).</param>
internal sealed record TwoPhaseSetup(TrainingRun Options, int TrainCount, int TestCount, int Downsample)
{
    /// <summary>The training options of the run.</summary>
    public TrainingOptions Training => Options.Training;

    /// <summary>The switch step S (end of the LB phase).</summary>
    public long SwitchAt => Training.SwitchBatchSizeAt!.Value;
}

/// <summary>Options, data and end points of the two-phase run of figures J and K.</summary>
internal static class TwoPhaseTraining
{
    /// <summary>The run's folder name under <c>runs/</c>.</summary>
    public const string RunName = "two-phase";

    /// <summary>
    /// The preset's setting. Full: bare AlexNet on CIFAR-10, 50k steps measured every 100, switch at 25k (LB 512 and
    /// SB 32 are approximations: the talk does not give them). Quick: the same net on a Fashion-MNIST subset. Smoke:
    /// a small MLP on a tiny subset (the convolutional net takes too long for a unit test).
    /// </summary>
    public static TwoPhaseSetup Setup(FigureContext context)
    {
        // Medium: the bare AlexNet on 5000 pooled images, the LB phase 150 epochs long so that it plateaus before the switch.
        var (model, train, test, down) = context.Pick(("mlp:196-32-10", 512, 256, 2), ("alexnet-bare", 1000, 500, 2), ("alexnet-bare", 5000, 2000, 2), ("alexnet-bare", 50000, 10000, 1));
        var (lb, sb) = context.Pick((256, 16), (500, 50), (500, 50), (512, 32));
        var (switchAt, steps, every) = context.Pick((30L, 150L, 10L), (150L, 350L, 10L), (1500L, 3000L, 30L), (25_000L, 50_000L, 100L));
        var options = new TrainingRun(model, new TrainingOptions
        {
            Loss = new CrossEntropyLoss(),
            BatchSize = lb,
            Steps = steps,
            LearningRate = context.Pick(0.1, 0.01, 0.01),
            Momentum = context.Pick(0.0, 0.9, 0.9),
            SwitchBatchSizeAt = switchAt,
            SecondBatchSize = sb,
            EvalEvery = every,
            CheckpointEvery = switchAt,
            Seed = context.Seed,
        }) { Data = context.Preset == Preset.Full ? "cifar10" : "fashion-mnist", Augment = "off" };
        return new TwoPhaseSetup(options, train, test, down);
    }

    /// <summary>The data of the run: a class-balanced subset (quick, smoke) or the whole set (full), normalized.</summary>
    public static TrainingData Data(FigureContext context, TwoPhaseSetup setup)
    {
        using var split = context.LoadData("cifar10");
        using var small = setup.Downsample > 1 ? FigureData.Downsample(context, split, setup.Downsample) : null;
        return FigureData.Prepare(context, small ?? split, setup.TrainCount, setup.TestCount, setup.Options);
    }

    /// <summary>
    /// How far the large-batch phase still was from a plateau at the switch <paramref name="switchAt"/>: the drop
    /// L(3S/4) - L(S) of the training loss over the phase's last quarter (each L the nearest measurement at or before
    /// the step; absolute, so that a loss near zero that halves still counts as a plateau).
    /// </summary>
    public static double LargeBatchPlateau(IReadOnlyList<TrainingRecord> history, long switchAt)
    {
        var measured = history.Where(r => r.TrainLoss is not null && r.Step <= switchAt).ToList();
        if (measured.Count == 0) return double.NaN;
        double atSwitch = measured[^1].TrainLoss!.Value;
        var quarter = measured.LastOrDefault(r => r.Step <= switchAt * 3 / 4) ?? measured[0];
        return quarter.TrainLoss!.Value - atSwitch;
    }

    /// <summary>The LB end point (checkpoint at the switch step) in a run folder.</summary>
    public static string SwitchCheckpoint(string runDirectory, long switchAt) =>
        Path.Combine(runDirectory, "checkpoints", "step-" + switchAt.ToString("D8", CultureInfo.InvariantCulture), "model.safetensors");

    /// <summary>The SB end point (final model) in a run folder.</summary>
    public static string FinalModel(string runDirectory) => Path.Combine(runDirectory, "model.safetensors");

    /// <summary>
    /// A finished two-phase run with exactly these options in figure J's folder beside this figure's (<c>../J/runs/two-phase</c>),
    /// or null.
    /// </summary>
    public static string? FindFinishedRun(FigureContext context, TwoPhaseSetup setup)
    {
        var dir = Path.GetFullPath(Path.Combine(context.OutDir, "..", "J", "runs", RunName));
        var optionsPath = Path.Combine(dir, "options.json");
        if (!File.Exists(optionsPath) || !File.Exists(FinalModel(dir)) || !File.Exists(SwitchCheckpoint(dir, setup.SwitchAt))) return null;
        static TrainingRun Comparable(TrainingRun r) => r.With(o => o with { Threads = null }) with { Device = "" };
        return Comparable(TrainingRun.Load(optionsPath)) == Comparable(setup.Options) ? dir : null;
    }

    /// <summary>Loads a checkpoint into <paramref name="model"/>.</summary>
    public static void Load(nn.Module model, string path) => Checkpoint.Load(model, path);
}

/// <summary>Data helpers shared by figures J, K, L, N and P.</summary>
internal static class FigureData
{
    /// <summary>
    /// Class-balanced subsets of <paramref name="trainCount"/> training and <paramref name="testCount"/> test examples
    /// of <paramref name="split"/> (the whole set where the count reaches its size), prepared for training with
    /// <paramref name="options"/> (normalization, augmentation) in float32 on the figure's device.
    /// </summary>
    public static TrainingData Prepare(FigureContext context, DataSplit split, long trainCount, long testCount, TrainingRun options)
    {
        using var subset = Subset(context, split, trainCount, testCount);
        return options.PrepareData(subset, context.Device);
    }

    /// <summary>
    /// Both sets with images <c>[P, C, H, W]</c> average-pooled by <paramref name="factor"/> (28x28 becomes 14x14 for 2),
    /// which makes convolutional nets about factor^2 times cheaper: the quick presets' way to fit a 2-core CPU.
    /// </summary>
    public static DataSplit Downsample(FigureContext context, DataSplit split, int factor)
    {
        static Dataset Pool(Dataset d, int f)
        {
            using var scope = NewDisposeScope();
            var x = nn.functional.avg_pool2d(d.Inputs, f, f, ceil_mode: true).contiguous();
            return new Dataset($"{d.Name} (pooled {f}x{f})", x.DetachFromDisposeScope(), d.Labels.clone().DetachFromDisposeScope(), d.ClassNames);
        }
        if (split.Train.Inputs.dim() != 4) throw new LossLandscapeException($"Downsampling needs images [P, C, H, W]; '{split.Train.Name}' has {split.Train.Inputs.dim()} dimensions.");
        var train = Pool(split.Train, factor);
        context.DataName = $"{context.DataName} {train.Inputs.shape[2]}x{train.Inputs.shape[3]}";
        return new DataSplit(train, Pool(split.Test, factor), split.Source) { Note = split.Note };
    }

    /// <summary>Class-balanced subsets of both sets (copies; the caller owns the result).</summary>
    public static DataSplit Subset(FigureContext context, DataSplit split, long trainCount, long testCount)
    {
        var train = trainCount >= split.Train.Count ? split.Train.Take(split.Train.Count) : split.Train.BalancedSubset(trainCount, context.Seed);
        try
        {
            var test = testCount >= split.Test.Count ? split.Test.Take(split.Test.Count) : split.Test.BalancedSubset(testCount, context.Seed + 1);
            return new DataSplit(train, test, split.Source) { Note = split.Note };
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }
}
