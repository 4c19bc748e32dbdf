using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Plotting;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure H (slide 22): Hessian outliers of a fully connected net on (Fashion-)MNIST. The top eigenvalues (Lanczos on
/// the Hessian of the mean training loss) of a small-batch (SB) and a large-batch (LB) solution, by order, with a
/// heuristic threshold between the outliers and the bulk: about as many outliers as classes, and larger ones for LB
/// (Sagun et al. 2017, arXiv 1706.04454).
/// </summary>
/// <remarks>
/// Both runs use plain SGD with the same learning rate and the same number of updates, from the same initialization;
/// only the batch size differs. The Hessian is that of the mean cross-entropy over the first
/// <c>curvature examples</c> of the (normalized) training set. Threshold heuristic: with lambda_1 &gt;= ... &gt;= lambda_k the
/// computed top eigenvalues of the SB solution, the outliers end at the largest ratio lambda_i / lambda_{i+1} among
/// i = 1..k-2 (both positive), and the threshold is the geometric mean sqrt(lambda_i lambda_{i+1}).
/// </remarks>
public sealed class FigureH : Figure
{
    /// <inheritdoc />
    public override string Id => "H";

    /// <inheritdoc />
    public override string Title => "Hessian outliers: small vs large batch, top eigenvalues by order";

    /// <inheritdoc />
    public override string Slides => "22";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        var setup = new SbLbSetup(
            Model: context.Pick("mlp:784-32-10", "mlp:784-64-10", "mlp:784-500-300-10", "mlp:784-500-300-10"),
            TrainExamples: context.Pick(1000L, 4000L, 20000L, 60000L),
            TestExamples: context.Pick(500L, 2000L, 5000L, 10000L),
            SmallBatch: context.Pick(16, 32, 64, 64),
            LargeBatch: context.Pick(200, 500, 1000, 6000),
            LearningRate: 0.1,
            Steps: context.Pick(200L, 1200L, 2000L, 20000L));
        int top = context.Pick(14, 30, 40, 40);
        long curvatureExamples = context.Pick(500L, 1000L, 2000L, 5000L);

        using var split = SbLbSupport.LoadSubsets(context, "mnist", setup);
        using var data = new TrainingRun(setup.Model, new TrainingOptions()).PrepareData(split, context.Device);
        var (sb, lb) = SbLbSupport.TrainPair(context, setup, data);
        using (sb)
        using (lb)
        {
            var loss = new CrossEntropyLoss();
            var opts = new CurvatureOptions(BatchSize: curvatureExamples, Subset: curvatureExamples);
            var lanczos = new LanczosOptions(Top: top, Tolerance: 1e-4, MaxIterations: Math.Max(2 * top + 20, context.Pick(40, 80, 120, 120)), Seed: context.Seed);
            string problem = $"hessian top {top} on {curvatureExamples} examples";
            var sbEig = Lanczos.Run(new HessianOperator(sb.Model, loss, data.Train, opts), lanczos with { Checkpoint = context.SpectrumCheckpoint("sb-hessian", sb.Model, problem) });
            var lbEig = Lanczos.Run(new HessianOperator(lb.Model, loss, data.Train, opts), lanczos with { Checkpoint = context.SpectrumCheckpoint("lb-hessian", lb.Model, problem) });
            context.Log(string.Create(CultureInfo.InvariantCulture, $"top eigenvalue SB {sbEig.Eigenvalues[0]:G4}, LB {lbEig.Eigenvalues[0]:G4} ({sbEig.Iterations} and {lbEig.Iterations} Lanczos steps)"));

            var (outliers, threshold) = SbLbSupport.Threshold(sbEig.Eigenvalues);
            int lbOutliers = lbEig.Eigenvalues.Count(v => v > threshold);
            var ranks = Enumerable.Range(1, top).Select(i => (double)i).ToArray();
            context.WriteCsv("eigenvalues.csv", new[] { "order", "small_batch", "large_batch" },
                Enumerable.Range(0, top).Select(i => (IReadOnlyList<object>)new object[] { i + 1, sbEig.Eigenvalues[i], lbEig.Eigenvalues[i] }));
            Charts.Lines(new[]
            {
                new Series($"small batch (B={setup.SmallBatch})", ranks, sbEig.Eigenvalues, Markers: true, Color: 0),
                new Series($"large batch (B={setup.LargeBatch})", ranks, lbEig.Eigenvalues, Markers: true, Color: 1),
                new Series(string.Create(CultureInfo.InvariantCulture, $"heuristic threshold {threshold:G3}"), new[] { 1.0, top }, new[] { threshold, threshold }, Dashed: true, Color: 3),
            }, new ChartOptions(context.PlotTitle($"top {top} Hessian eigenvalues, {setup.Model}"), "order of largest eigenvalues", "eigenvalue"),
                context.PathOf("outliers.png"), context.PathOf("outliers.svg"));

            var inv = CultureInfo.InvariantCulture;
            context.WriteJson("summary.json", new
            {
                setup,
                curvatureExamples,
                smallBatch = new { eigenvalues = sbEig.Eigenvalues, residuals = sbEig.Residuals, sbEig.Iterations, sbEig.Converged, train = SbLbSupport.Final(sb) },
                largeBatch = new { eigenvalues = lbEig.Eigenvalues, residuals = lbEig.Residuals, lbEig.Iterations, lbEig.Converged, train = SbLbSupport.Final(lb) },
                threshold,
                outliersSmallBatch = outliers,
                outliersLargeBatch = lbOutliers,
                classes = data.Train.NumClasses,
            });
            bool claim = lbEig.Eigenvalues[0] > sbEig.Eigenvalues[0];
            return new FigureOutcome(claim, "the large-batch solution's top Hessian eigenvalue exceeds the small-batch one's",
                new (string, string, string?)[]
                {
                    ("setting", string.Create(inv, $"{setup.Model}, {setup.TrainExamples} training examples, SGD lr {setup.LearningRate}, {setup.Steps} steps, SB {setup.SmallBatch} / LB {setup.LargeBatch}; Hessian on {curvatureExamples} examples"), "Sagun et al.: MNIST, fully connected"),
                    ("top eigenvalue SB / LB", string.Create(inv, $"{sbEig.Eigenvalues[0]:G4} / {lbEig.Eigenvalues[0]:G4}"), "LB larger (slide: ~1.0 vs ~2.0 x 10, approx.)"),
                    ("outliers above the threshold SB / LB", string.Create(inv, $"{outliers} / {lbOutliers} (threshold {threshold:G3})"), $"about the number of classes ({data.Train.NumClasses})"),
                    ("train / test accuracy SB", SbLbSupport.Accuracies(sb), null),
                    ("train / test accuracy LB", SbLbSupport.Accuracies(lb), null),
                },
                // Sagun compares the Hessians of two trained solutions of comparable loss (the outliers scale with the loss
                // for cross-entropy), with the top eigenvalues resolved.
                new[]
                {
                    Precondition.AllAtLeast("train accuracy (%)", new[] { ("SB", 100 * (SbLbSupport.Final(sb).TrainAccuracy ?? double.NaN)), ("LB", 100 * (SbLbSupport.Final(lb).TrainAccuracy ?? double.NaN)) }, 90),
                    Precondition.Comparable("train loss", "SB", SbLbSupport.Final(sb).TrainLoss ?? double.NaN, "LB", SbLbSupport.Final(lb).TrainLoss ?? double.NaN),
                    Precondition.AllAtMost("residual of the top Ritz pair / its eigenvalue", new[] { ("SB", sbEig.Residuals[0] / sbEig.Eigenvalues[0]), ("LB", lbEig.Residuals[0] / lbEig.Eigenvalues[0]) }, 0.01),
                });
        }
    }
}

/// <summary>The small-batch / large-batch experiment shared by figures G and H.</summary>
/// <param name="Model">Model spec.</param>
/// <param name="TrainExamples">Training examples (a class-balanced subset, or the whole set).</param>
/// <param name="TestExamples">Test examples.</param>
/// <param name="SmallBatch">SB batch size.</param>
/// <param name="LargeBatch">LB batch size.</param>
/// <param name="LearningRate">Learning rate of both runs.</param>
/// <param name="Steps">Updates of both runs.</param>
/// <param name="Momentum">Momentum of both runs.</param>
/// <param name="SmallBatchSteps">Updates of the SB run when it needs its own count to reach a training loss comparable to LB's (null: <paramref name="Steps"/>).</param>
public sealed record SbLbSetup(string Model, long TrainExamples, long TestExamples, int SmallBatch, int LargeBatch, double LearningRate, long Steps, double Momentum = 0, long? SmallBatchSteps = null);

/// <summary>Helpers of the curvature figures (G, H, O, Q): data subsets, SB/LB training, the outlier threshold.</summary>
internal static class SbLbSupport
{
    /// <summary>Loads the data set and takes class-balanced subsets of the training and test sets (seeded by the figure's seed).</summary>
    public static DataSplit LoadSubsets(FigureContext context, string fullName, SbLbSetup setup) =>
        LoadSubsets(context, fullName, setup.TrainExamples, setup.TestExamples);

    /// <summary>Loads the data set and takes class-balanced subsets of <paramref name="train"/> and <paramref name="test"/> examples.</summary>
    public static DataSplit LoadSubsets(FigureContext context, string fullName, long train, long test)
    {
        using var split = context.LoadData(fullName);
        var tr = train >= split.Train.Count ? split.Train.Take(split.Train.Count) : split.Train.BalancedSubset(train, context.Seed);
        var te = test >= split.Test.Count ? split.Test.Take(split.Test.Count) : split.Test.BalancedSubset(test, context.Seed + 1);
        return new DataSplit(tr, te, split.Source);
    }

    /// <summary>Trains the SB and the LB run (same seed, so the same initialization; same learning rate; the same number of updates unless <see cref="SbLbSetup.SmallBatchSteps"/> gives SB its own).</summary>
    public static (TrainedModel Small, TrainedModel Large) TrainPair(FigureContext context, SbLbSetup setup, TrainingData data)
    {
        var options = new TrainingRun(setup.Model, new TrainingOptions
        {
            Loss = new CrossEntropyLoss(),
            LearningRate = setup.LearningRate,
            Momentum = setup.Momentum,
            Steps = setup.Steps,
            Seed = context.Seed,
            ChunkSize = 2000,
        });
        long sbSteps = setup.SmallBatchSteps ?? setup.Steps;
        var sb = context.Train(sbSteps == setup.Steps ? $"sb-B{setup.SmallBatch}" : $"sb-B{setup.SmallBatch}-{sbSteps}", options.With(o => o with { BatchSize = setup.SmallBatch, Steps = sbSteps }), data);
        try
        {
            var lb = context.Train($"lb-B{setup.LargeBatch}", options.With(o => o with { BatchSize = setup.LargeBatch }), data);
            return (sb, lb);
        }
        catch
        {
            sb.Dispose();
            throw;
        }
    }

    /// <summary>The final history record of a run.</summary>
    public static TrainingRecord Final(TrainedModel run) => run.Result.History[^1];

    /// <summary>"train% / test%" of a run's final record.</summary>
    public static string Accuracies(TrainedModel run)
    {
        var r = Final(run);
        return string.Create(CultureInfo.InvariantCulture, $"{100 * (r.TrainAccuracy ?? double.NaN):F2}% / {100 * (r.TestAccuracy ?? double.NaN):F2}%");
    }

    /// <summary>
    /// The outlier/bulk threshold of descending eigenvalues: the largest ratio lambda_i / lambda_{i+1} (both positive)
    /// over i = 1..k-2 marks the last outlier i; the threshold is sqrt(lambda_i lambda_{i+1}). Returns (i, threshold).
    /// </summary>
    public static (int Outliers, double Threshold) Threshold(IReadOnlyList<double> descending)
    {
        int best = 1;
        double bestRatio = double.NegativeInfinity;
        for (int i = 0; i + 2 < descending.Count; i++)
        {
            if (!(descending[i + 1] > 0)) break;
            double ratio = descending[i] / descending[i + 1];
            if (ratio > bestRatio)
            {
                bestRatio = ratio;
                best = i + 1;
            }
        }
        double low = descending[best] > 0 ? descending[best] : descending[best - 1] / 2;
        return (best, Math.Sqrt(descending[best - 1] * low));
    }
}
