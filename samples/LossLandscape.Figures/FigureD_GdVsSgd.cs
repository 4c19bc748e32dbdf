using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure D (slide 14): full-batch gradient descent (GD) vs minibatch SGD on the fully connected net 784-500-300-10,
/// same learning rate and number of steps: training and test cost vs step on a log scale (four curves), and the number
/// of test mistakes of each method (the talk: SGD 174 vs GD 194 on MNIST's 10k test images).
/// </summary>
/// <remarks>
/// Full preset: MNIST, 60k training images, lr 0.1, batch 100 for SGD, 50k updates each, raw pixels in [0, 1], three
/// seeds. Quick: 1000 Fashion-MNIST training images, 300 updates (30 epochs of SGD), three seeds; mistakes counted on the
/// full 10k test set. Smoke: the narrower 784-50-30-10 on 300 images. Cost = mean cross-entropy.
/// </remarks>
public sealed class FigureD : Figure
{
    /// <inheritdoc />
    public override string Id => "D";

    /// <inheritdoc />
    public override string Title => "GD vs SGD on a 784-500-300-10 net: cost vs step and test mistakes";

    /// <inheritdoc />
    public override string Slides => "14";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        using var loaded = context.LoadData("mnist");
        // Medium: the paper's net on the whole 60k training set; a full-batch step there costs over a second on a
        // 2-core CPU, so three seeds of GD get 150 steps each in the 15 minutes (the slide's 50k are GPU-sized).
        long trainCount = context.Pick(300L, 1000L, loaded.Train.Count, loaded.Train.Count);
        long steps = context.Pick(100L, 300L, 150L, 50000L);
        int seeds = context.Pick(1, 3, 3, 3);
        string model = context.Pick("mlp:784-50-30-10", "mlp:784-500-300-10", "mlp:784-500-300-10", "mlp:784-500-300-10");
        using var train = trainCount < loaded.Train.Count ? loaded.Train.BalancedSubset(trainCount, context.Seed) : loaded.Train.Take(loaded.Train.Count);
        var setup = new GdSgdSetup(model, steps, 0.1, 100, context.Pick<long?>(1000, 2000, null, null));
        var runs = new List<GdSgdRun>();
        for (int s = 0; s < seeds; s++)
        {
            runs.Add(GdSgdSetup.Train(context, setup, train, loaded.Test, fullBatch: true, context.Seed + s));
            runs.Add(GdSgdSetup.Train(context, setup, train, loaded.Test, fullBatch: false, context.Seed + s));
        }

        var series = new List<Series>();
        foreach (var r in runs.Where(r => r.Seed == context.Seed))
        {
            var x = r.History.Select(h => (double)h.Step).ToArray();
            int color = r.FullBatch ? 0 : 1;
            series.Add(new Series($"{r.Method}: train", x, r.History.Select(h => h.TrainLoss ?? double.NaN).ToArray(), Color: color));
            series.Add(new Series($"{r.Method}: test", x, r.History.Select(h => h.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: color));
        }
        Charts.Lines(series, new ChartOptions(context.PlotTitle($"{model}, lr {setup.LearningRate}, {train.Count} training examples"), "step", "cost (cross-entropy, log scale)", LogY: true),
            context.PathOf("cost.png"), context.PathOf("cost.svg"));
        GdSgdSetup.WriteCurves(context, "curves.csv", runs);

        var gd = runs.Where(r => r.FullBatch).ToList();
        var sgd = runs.Where(r => !r.FullBatch).ToList();
        int sgdFewer = gd.Zip(sgd).Count(p => p.Second.TestMistakes < p.First.TestMistakes);
        // How steadily each method descends: the number of evaluations at which the training cost rose.
        static int Rises(GdSgdRun r) => r.History.Zip(r.History.Skip(1)).Count(p => (p.Second.TrainLoss ?? double.NaN) > (p.First.TrainLoss ?? double.NaN));
        var gdRises = gd.Select(Rises).ToList();
        var sgdRises = sgd.Select(Rises).ToList();
        context.WriteJson("summary.json", new
        {
            data = context.DataName,
            model,
            trainExamples = train.Count,
            testExamples = loaded.Test.Count,
            steps,
            learningRate = setup.LearningRate,
            batch = setup.BatchSize,
            runs = runs.Select(r => new { method = r.Method, r.Seed, finalTrainCost = r.FinalTrainCost, finalTestCost = r.FinalTestCost, r.TestMistakes }),
            seedsWhereSgdMakesFewerMistakes = sgdFewer,
            evaluations = runs[0].History.Count,
            gdTrainCostRises = gdRises,
            sgdTrainCostRises = sgdRises,
        });

        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        string Mistakes(IEnumerable<GdSgdRun> rs) => string.Join(", ", rs.Select(r => r.TestMistakes.ToString(CultureInfo.InvariantCulture)));
        return new FigureOutcome(sgdFewer * 2 > seeds,
            $"SGD makes fewer test mistakes than GD with the same learning rate and number of steps (in most of the {seeds} seed(s))",
            new (string, string, string?)[]
            {
                ("setting", $"{model}, {train.Count} train, {steps} steps, lr {setup.LearningRate}, SGD batch {setup.BatchSize}, {seeds} seed(s)", "MNIST 784-500-300-10, 50k steps, lr 0.1, batch 100 (approx.)"),
                ($"test mistakes of {loaded.Test.Count}: SGD", Mistakes(sgd), "174 of 10000"),
                ($"test mistakes of {loaded.Test.Count}: GD", Mistakes(gd), "194 of 10000"),
                ("final train cost: SGD / GD", $"{string.Join(", ", sgd.Select(r => F(r.FinalTrainCost)))} / {string.Join(", ", gd.Select(r => F(r.FinalTrainCost)))}", null),
                ("final test cost: SGD / GD", $"{string.Join(", ", sgd.Select(r => F(r.FinalTestCost)))} / {string.Join(", ", gd.Select(r => F(r.FinalTestCost)))}", null),
                ($"evaluations (of {runs[0].History.Count}) at which the training cost rose: SGD / GD", $"{string.Join(", ", sgdRises)} / {string.Join(", ", gdRises)}", "SGD's curve is noisy, GD's smooth"),
            },
            // The slide compares two trained nets (its costs run down to 1e-3 - 1e-4), over several seeds.
            new[]
            {
                Precondition.AllAtMost("final train cost", runs.Select(r => ($"{r.Method} seed {r.Seed}", r.FinalTrainCost)), 0.1),
                Precondition.AtLeast("seeds", seeds, 3),
            });
    }
}

/// <summary>One GD or SGD run of figures D and E.</summary>
internal sealed record GdSgdRun(string Model, bool FullBatch, long Seed, IReadOnlyList<TrainingRecord> History, double FinalTrainCost, double FinalTestCost, long TestMistakes)
{
    public string Method => FullBatch ? "GD" : "SGD";
}

/// <summary>The shared setting of figures D and E: model, steps, learning rate, SGD batch, evaluation subset of the test set.</summary>
internal sealed record GdSgdSetup(string Model, long Steps, double LearningRate, int BatchSize, long? EvalTestSubset)
{
    /// <summary>
    /// Trains <see cref="Model"/> with GD (every example each step) or SGD (batch <see cref="BatchSize"/>) on raw
    /// pixels, evaluating about 40 times; the final costs are on the whole training set and the whole test set.
    /// </summary>
    public static GdSgdRun Train(FigureContext context, GdSgdSetup setup, Dataset train, Dataset test, bool fullBatch, long seed)
    {
        var options = new TrainingRun(setup.Model, new TrainingOptions
        {
            Loss = new CrossEntropyLoss(),
            FullBatch = fullBatch,
            BatchSize = setup.BatchSize,
            Steps = setup.Steps,
            LearningRate = setup.LearningRate,
            EvalEvery = Math.Max(1, setup.Steps / 40),
            EvalSubset = setup.EvalTestSubset,
            ChunkSize = 10000,
            CheckpointEvery = setup.Steps >= 10000 ? 5000 : 0,
            Seed = seed,
        }) { Data = context.DataName, Preprocessing = false };
        using var split = new DataSplit(train.Take(train.Count), test.Take(test.Count), "subset");
        using var data = options.PrepareData(split, context.Device);
        string name = $"{setup.Model.Replace(':', '-')}-{(fullBatch ? "gd" : "sgd")}-seed{seed}";
        using var trained = context.Train(name, options, data);
        trained.Model.eval();
        var loss = LossSpec.Parse("ce");
        var tr = Evaluation.Evaluate(trained.Model, loss, data.Train, 10000);
        var te = Evaluation.Evaluate(trained.Model, loss, data.Test!, 10000);
        long mistakes = te.Count - (long)Math.Round(te.Accuracy * te.Count);
        return new GdSgdRun(setup.Model, fullBatch, seed, trained.Result.History, tr.Loss, te.Loss, mistakes);
    }

    /// <summary>Writes every run's history as one CSV.</summary>
    public static void WriteCurves(FigureContext context, string file, IEnumerable<GdSgdRun> runs) =>
        context.WriteCsv(file, new[] { "model", "method", "seed", "step", "train_cost", "train_accuracy", "test_cost", "test_accuracy" },
            runs.SelectMany(r => r.History.Select(h => (IReadOnlyList<object>)new object[]
            {
                r.Model, r.Method, r.Seed, h.Step, h.TrainLoss ?? double.NaN, h.TrainAccuracy ?? double.NaN, h.TestLoss ?? double.NaN, h.TestAccuracy ?? double.NaN,
            })));
}
