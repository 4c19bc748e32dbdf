using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Plotting;
using LossLandscape.Losses;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure C (slide 6): expressivity and overfitting. The same network trained as a regression (squared error on one-hot
/// targets, MSE) and as a classification (cross-entropy, CE), and trained on random labels (Zhang et al. 2017): it
/// memorizes them (training accuracy near 100%) while test accuracy stays at chance; on true labels the test loss keeps
/// moving late in training while the test accuracy is flat.
/// </summary>
/// <remarks>
/// Full preset: CIFAR-10 (50k/10k), the bare AlexNet-style net (no BatchNorm or dropout, which would slow memorization),
/// SGD lr 0.01, momentum 0.9, batch 128, 60k updates, normalization without augmentation (Zhang et al. memorize the
/// raw training set). Quick: an MLP 784-256-256-10 on 1000 Fashion-MNIST training and 2000 test images, lr 0.05,
/// momentum 0.9, batch 100, 1500 updates (150 epochs). Smoke: MLP 784-256-10 on 200 examples, 250 updates.
/// "Flat" accuracy and "moving" loss are measured over the second half of the true-label CE run:
/// accuracy range = max - min of the test accuracy there (in points), loss change = |L_end - L_mid| / L_mid.
/// </remarks>
public sealed class FigureC : Figure
{
    /// <inheritdoc />
    public override string Id => "C";

    /// <inheritdoc />
    public override string Title => "Expressivity and overfitting: MSE vs CE, random labels memorized, loss moves while accuracy is flat";

    /// <inheritdoc />
    public override string Slides => "6";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        using var loaded = context.LoadData("cifar10");
        long trainCount = context.Pick(200L, 1000L, 5000L, loaded.Train.Count);
        long testCount = context.Pick(1000L, 2000L, loaded.Test.Count, loaded.Test.Count);
        long steps = context.Pick(250L, 1500L, 8000L, 60000L);
        int batch = context.Pick(50, 100, 100, 128);
        string model = context.Pick("mlp:784-256-10", "mlp:784-256-256-10", "mlp:784-512-512-10", "alexnet-bare");
        double lr = context.Pick(0.05, 0.05, 0.01);
        using var train = trainCount < loaded.Train.Count ? loaded.Train.BalancedSubset(trainCount, context.Seed) : loaded.Train.Take(loaded.Train.Count);
        using var test = testCount < loaded.Test.Count ? loaded.Test.RandomSubset(testCount, context.Seed + 1) : loaded.Test.Take(loaded.Test.Count);
        using var randomTrain = train.WithCorruptedLabels(1.0, context.Seed + 2);

        var baseOptions = new TrainingRun(model, new TrainingOptions
        {
            BatchSize = batch,
            Steps = steps,
            LearningRate = lr,
            Momentum = 0.9,
            EvalEvery = steps / 50,
            CheckpointEvery = context.Pick(0L, 0L, 2000L, 5000L),
            Seed = context.Seed,
        }) { Data = context.DataName, Preprocessing = true, Augment = "off" };
        var runs = new (string Name, string Label, string Loss, Dataset Train)[]
        {
            ("ce", "CE, true labels", "ce", train),
            ("mse", "MSE, true labels", "mse", train),
            ("ce-random", "CE, random labels", "ce", randomTrain),
        };
        var histories = new List<(string Name, string Label, IReadOnlyList<TrainingRecord> History)>();
        foreach (var (name, label, loss, trainSet) in runs)
        {
            using var split = new DataSplit(trainSet.Take(trainSet.Count), test.Take(test.Count), loaded.Source);
            var options = baseOptions.With(o => o with { Loss = LossSpec.Parse(loss) });
            using var data = options.PrepareData(split, context.Device);
            using var trained = context.Train(name, options, data);
            histories.Add((name, label, trained.Result.History));
        }

        context.WriteCsv("curves.csv", new[] { "run", "step", "train_loss", "train_accuracy", "test_loss", "test_accuracy" },
            histories.SelectMany(r => r.History.Select(h => (IReadOnlyList<object>)new object[] { r.Name, h.Step, (h.TrainLoss ?? double.NaN), (h.TrainAccuracy ?? double.NaN), h.TestLoss ?? double.NaN, h.TestAccuracy ?? double.NaN })));

        var lossSeries = new List<Series>();
        var accSeries = new List<Series>();
        for (int i = 0; i < histories.Count; i++)
        {
            var (_, label, h) = histories[i];
            var x = h.Select(r => (double)Math.Max(r.Step, 1)).ToArray();
            lossSeries.Add(new Series($"{label}: train", x, h.Select(r => (r.TrainLoss ?? double.NaN)).ToArray(), Color: i));
            lossSeries.Add(new Series($"{label}: test", x, h.Select(r => r.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: i));
            accSeries.Add(new Series($"{label}: train", x, h.Select(r => 100 * (r.TrainAccuracy ?? double.NaN)).ToArray(), Color: i));
            accSeries.Add(new Series($"{label}: test", x, h.Select(r => 100 * (r.TestAccuracy ?? double.NaN)).ToArray(), Dashed: true, Color: i));
        }
        Charts.Lines(lossSeries, new ChartOptions(context.PlotTitle($"loss, {model}, {train.Count} training examples"), "step", "loss (log)", LogY: true),
            context.PathOf("loss.png"), context.PathOf("loss.svg"));
        Charts.Lines(accSeries, new ChartOptions(context.PlotTitle($"accuracy, {model}, {train.Count} training examples"), "step", "accuracy (%)"),
            context.PathOf("accuracy.png"), context.PathOf("accuracy.svg"));

        var ce = histories[0].History;
        var mse = histories[1].History;
        var rnd = histories[2].History;
        var secondHalf = ce.Where(r => r.Step >= steps / 2).ToList();
        double accRange = 100 * (secondHalf.Max(r => r.TestAccuracy ?? 0) - secondHalf.Min(r => r.TestAccuracy ?? 0));
        double lossMid = secondHalf[0].TestLoss ?? double.NaN, lossEnd = secondHalf[^1].TestLoss ?? double.NaN;
        double lossChange = Math.Abs(lossEnd - lossMid) / lossMid;
        double randomTrainAcc = 100 * (rnd[^1].TrainAccuracy ?? double.NaN), randomTestAcc = 100 * (rnd[^1].TestAccuracy ?? double.NaN);
        double chance = 100.0 / train.NumClasses;

        context.WriteJson("summary.json", new
        {
            data = context.DataName,
            model,
            trainExamples = train.Count,
            testExamples = test.Count,
            steps,
            batch,
            learningRate = lr,
            final = histories.Select(r => new { run = r.Name, trainLoss = r.History[^1].TrainLoss, trainAccuracy = r.History[^1].TrainAccuracy, testLoss = r.History[^1].TestLoss, testAccuracy = r.History[^1].TestAccuracy }),
            randomLabelTrainAccuracy = randomTrainAcc,
            randomLabelTestAccuracy = randomTestAcc,
            chance,
            secondHalfTestAccuracyRangePoints = accRange,
            secondHalfTestLossRelativeChange = lossChange,
            testLossAtMiddle = lossMid,
            testLossAtEnd = lossEnd,
        });

        bool memorized = randomTrainAcc > 95 && randomTestAcc < chance + 10;
        bool flatButMoving = accRange < 3 && lossChange > 0.05;
        string P(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        double ceTrainAcc = 100 * (ce[^1].TrainAccuracy ?? double.NaN);
        return new FigureOutcome(memorized && flatButMoving,
            "random labels are memorized (train accuracy > 95%) while test accuracy stays near chance; on true labels the test loss moves by more than 5% over the second half while test accuracy stays within 3 points",
            new (string, string, string?)[]
            {
                ("setting", $"{model}, {train.Count} train / {test.Count} test, {steps} steps, batch {batch}, lr {lr}, momentum 0.9", "Zhang et al. 2017: CIFAR-10, Inception / AlexNet / MLPs"),
                ("random labels: train / test accuracy", $"{P(randomTrainAcc)}% / {P(randomTestAcc)}% (chance {P(chance)}%)", "100% / ~10% (chance)"),
                ("true labels, CE: train / test accuracy", $"{P(100 * (ce[^1].TrainAccuracy ?? double.NaN))}% / {P(100 * (ce[^1].TestAccuracy ?? double.NaN))}%", "100% train; test well below"),
                ("true labels, MSE: train / test accuracy", $"{P(100 * (mse[^1].TrainAccuracy ?? double.NaN))}% / {P(100 * (mse[^1].TestAccuracy ?? double.NaN))}%", "similar to CE (regression also classifies)"),
                ("CE, second half: test accuracy range / test loss change", $"{accRange:F2} points / {100 * lossChange:F1}% ({lossMid:F3} -> {lossEnd:F3})", "flat accuracy, moving loss"),
            },
            // "Loss moves while accuracy is flat" is the regime after the true labels are fitted; measured at enough points.
            new[]
            {
                Precondition.AtLeast("true-label CE train accuracy at the end (%)", ceTrainAcc, 99),
                Precondition.AtLeast("test examples", test.Count, 2000),
                Precondition.AtLeast("evaluations in the second half", secondHalf.Count, 10),
            });
    }
}
