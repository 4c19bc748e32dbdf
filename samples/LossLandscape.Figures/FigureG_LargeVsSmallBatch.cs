using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Plotting;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure G (slides 20-21): large batch (LB) vs small batch (SB), Keskar et al. (2017): similar training accuracy, a
/// test gap, and LB minima sharper than SB minima by Keskar's epsilon-sharpness (box-constrained, full space).
/// </summary>
/// <remarks>
/// Full preset: C1 (<c>alexnet-c1</c>) on CIFAR-10, SB 256, LB 5000 (10% of the training set). Quick and smoke: Keskar's
/// fully connected setting (their F1 is an MLP on MNIST) on a Fashion-MNIST subset with a one-hidden-layer MLP, because
/// C1 on 28x28 inputs does not fit the 2-minute CPU budget; LB is 10% of the training subset as in the paper.
/// Training: plain SGD (momentum 0.9 in the full preset), the same learning rate for SB and LB; Keskar et al. train both
/// to a comparable training accuracy (with ADAM), so the quick and medium presets give SB its own number of updates
/// (with equal updates SB saw 6.4 epochs against LB's 200 and stopped at 90.9 % train accuracy against 97.8 %: two nets
/// at different training losses, which the precondition rejects).
/// Sharpness: 100 (max_{|z_i| &lt;= eps (|theta_i| + 1)} L(theta + z) - L(theta)) / (1 + L(theta)) over the training set,
/// maximized by projected sign-gradient ascent (<see cref="Sharpness.Measure"/>), for eps = 1e-3 and 5e-4; the top
/// Hessian eigenvalue (Lanczos on a subset) is reported beside it.
/// </remarks>
public sealed class FigureG : Figure
{
    /// <inheritdoc />
    public override string Id => "G";

    /// <inheritdoc />
    public override string Title => "Large vs small batch (Keskar et al.): test gap and sharpness";

    /// <inheritdoc />
    public override string Slides => "20-21";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        long train = context.Pick(1000L, 4000L, 10000L, 50000L);
        var setup = new SbLbSetup(
            Model: context.Pick("mlp:784-32-10", "mlp:784-64-10", "mlp:784-500-300-10", "alexnet-c1"),
            TrainExamples: train,
            TestExamples: context.Pick(500L, 2000L, 5000L, 10000L),
            SmallBatch: context.Pick(16, 32, 32, 256),
            LargeBatch: (int)(train / 10),
            LearningRate: context.Pick(0.1, 0.1, 0.1, 0.01),
            Steps: context.Pick(300L, 1500L, 2000L, 40000L),
            Momentum: context.Pick(0.0, 0.0, 0.9),
            // SB's own updates: 24 epochs (quick, 4000 / 32 per epoch; 48 epochs took SB's loss to 0.014 against LB's 0.14) and
            // 32 epochs (medium, 10000 / 32); LB sees 150 and 200.
            SmallBatchSteps: context.Pick<long?>(null, 3000L, 10000L, null));
        var epsilons = new[] { 1e-3, 5e-4 };
        int ascentSteps = context.Pick(10, 20, 20);
        long curvatureExamples = context.Pick(500L, 1000L, 2000L, 5000L);

        using var split = SbLbSupport.LoadSubsets(context, "cifar10", setup);
        using var data = new TrainingRun(setup.Model, new TrainingOptions()).PrepareData(split, context.Device);
        var (sb, lb) = SbLbSupport.TrainPair(context, setup, data);
        using (sb)
        using (lb)
        {
            var loss = new CrossEntropyLoss();
            var results = new List<(string Run, double Eps, SharpnessResult R)>();
            var tops = new Dictionary<string, double>();
            foreach (var (name, run) in new[] { ("SB", sb), ("LB", lb) })
            {
                var probe = new LandscapeProbe(run.Model, data.Train, data.Test, new ProbeOptions { Loss = loss, ChunkSize = 2000, BatchNorm = BatchNormPolicy.Eval });
                using var theta = probe.Space.Get();
                foreach (var eps in epsilons)
                {
                    var r = Sharpness.Measure(probe, theta, new SharpnessOptions { Epsilon = eps, Steps = ascentSteps, Seed = context.Seed });
                    results.Add((name, eps, r));
                    context.Log(string.Create(CultureInfo.InvariantCulture, $"{name}: eps {eps:G2} sharpness {r.Value:G4} (L {r.BaseLoss:G4} -> {r.MaxLoss:G4})"));
                }
                var op = new HessianOperator(run.Model, loss, data.Train, new CurvatureOptions(BatchSize: Math.Min(curvatureExamples, 1000), Subset: curvatureExamples));
                tops[name] = Lanczos.Run(op, new LanczosOptions(Top: 1, Tolerance: 1e-3, Seed: context.Seed)).Eigenvalues[0];
            }

            double Sharp(string run, double eps) => results.Single(x => x.Run == run && x.Eps == eps).R.Value;
            var sbF = SbLbSupport.Final(sb);
            var lbF = SbLbSupport.Final(lb);
            context.WriteCsv("table.csv", new[] { "run", "batch", "train_accuracy", "test_accuracy", "train_loss", "test_loss", "sharpness_1e-3", "sharpness_5e-4", "top_eigenvalue" },
                new[] { ("SB", setup.SmallBatch, sbF), ("LB", setup.LargeBatch, lbF) }.Select(x => (IReadOnlyList<object>)new object[]
                {
                    x.Item1, x.Item2, x.Item3.TrainAccuracy ?? double.NaN, x.Item3.TestAccuracy ?? double.NaN, x.Item3.TrainLoss ?? double.NaN, x.Item3.TestLoss ?? double.NaN,
                    Sharp(x.Item1, 1e-3), Sharp(x.Item1, 5e-4), tops[x.Item1],
                }));
            context.WriteJson("sharpness.json", new
            {
                setup,
                curvatureExamples,
                results = results.Select(x => new { run = x.Run, epsilon = x.Eps, x.R.BaseLoss, x.R.MaxLoss, sharpness = x.R.Value, x.R.MaxPerturbationNorm, ascent = x.R.Ascent }),
                topEigenvalue = tops,
            });

            Charts.Bars(new[] { "SB train acc %", "LB train acc %", "SB test acc %", "LB test acc %" },
                new[] { 100 * (sbF.TrainAccuracy ?? 0), 100 * (lbF.TrainAccuracy ?? 0), 100 * (sbF.TestAccuracy ?? 0), 100 * (lbF.TestAccuracy ?? 0) },
                new ChartOptions(context.PlotTitle($"accuracy, SB (B={setup.SmallBatch}) vs LB (B={setup.LargeBatch}), {setup.Model}"), "", "accuracy (%)"),
                context.Preset == Preset.Full ? new[] { 99.89, 99.66, 80.04, 77.26 } : null, "Keskar C1 (approx.)",
                context.PathOf("accuracy.png"), context.PathOf("accuracy.svg"));
            Charts.Bars(epsilons.SelectMany(e => new[] { string.Create(CultureInfo.InvariantCulture, $"SB eps={e:G2}"), string.Create(CultureInfo.InvariantCulture, $"LB eps={e:G2}") }).ToArray(),
                epsilons.SelectMany(e => new[] { Sharp("SB", e), Sharp("LB", e) }).ToArray(),
                new ChartOptions(context.PlotTitle("epsilon-sharpness (Keskar's box), SB vs LB"), "", "sharpness"),
                paths: new[] { context.PathOf("sharpness.png"), context.PathOf("sharpness.svg") });

            var inv = CultureInfo.InvariantCulture;
            bool claim = Sharp("LB", 1e-3) > Sharp("SB", 1e-3);
            return new FigureOutcome(claim, "the large-batch solution is sharper (epsilon-sharpness, eps = 1e-3) than the small-batch one",
                new (string, string, string?)[]
                {
                    ("setting", string.Create(inv, $"{setup.Model} on {train} examples, SGD lr {setup.LearningRate} momentum {setup.Momentum}, {setup.SmallBatchSteps ?? setup.Steps} / {setup.Steps} steps, SB {setup.SmallBatch} / LB {setup.LargeBatch}"),
                        "Keskar C1: CIFAR-10, SB 256, LB 10% of the training set, ADAM"),
                    ("train / test accuracy SB", SbLbSupport.Accuracies(sb), "C1: 99.89% / 80.04% (approx.)"),
                    ("train / test accuracy LB", SbLbSupport.Accuracies(lb), "C1: 99.66% / 77.26% (approx.)"),
                    ("sharpness eps=1e-3 SB / LB", string.Create(inv, $"{Sharp("SB", 1e-3):G4} / {Sharp("LB", 1e-3):G4}"), "C1: 28.58 / 707.23 (approx.)"),
                    ("sharpness eps=5e-4 SB / LB", string.Create(inv, $"{Sharp("SB", 5e-4):G4} / {Sharp("LB", 5e-4):G4}"), "LB larger"),
                    ("top Hessian eigenvalue SB / LB", string.Create(inv, $"{tops["SB"]:G4} / {tops["LB"]:G4}"), null),
                },
                // Keskar compares minimizers of similar training error: both trained, to comparable training loss.
                new[]
                {
                    Precondition.AllAtLeast("train accuracy (%)", new[] { ("SB", 100 * (sbF.TrainAccuracy ?? double.NaN)), ("LB", 100 * (lbF.TrainAccuracy ?? double.NaN)) }, 95),
                    Precondition.Comparable("train loss", "SB", sbF.TrainLoss ?? double.NaN, "LB", lbF.TrainLoss ?? double.NaN),
                });
        }
    }
}
