using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Losses;
using LossLandscape.Plotting;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure Q (beyond the talk): the spectral density of the Hessian of a trained network by stochastic Lanczos
/// quadrature (Ghorbani, Krishnan and Xiao 2019): m Lanczos steps from each of several Rademacher probes, Gaussian
/// broadening, the density on a log scale; with checks against independent estimates.
/// </summary>
/// <remarks>
/// Checks: (1) each probe's quadrature weights tau_j = (e_1^T s_j)^2 sum to 1; (2) the density integrates to 1
/// (trapezoid rule on the grid); (3) the SLQ trace n sum_j tau_j theta_j averaged over probes equals Hutchinson's
/// estimate (1/N) sum_k z_k^T H z_k over the same probes (same seed: the first quadrature moment is exactly
/// v^T H v), and lies within 3 combined standard errors of an independent Hutchinson run with more probes (the spread sd
/// of z^T H z taken from that run: s.e. = sqrt(sd^2 / N_SLQ + sd^2 / N_Hutchinson)); (4) the
/// largest Ritz value matches the top eigenvalue of a separate Lanczos run. Full preset: ResNet-32 on CIFAR-10 (as in
/// Ghorbani et al.), 90 steps, 10 probes; quick: an MLP on a Fashion-MNIST subset.
/// </remarks>
public sealed class FigureQ : Figure
{
    /// <inheritdoc />
    public override string Id => "Q";

    /// <inheritdoc />
    public override string Title => "Hessian spectral density by stochastic Lanczos quadrature (Ghorbani et al. 2019)";

    /// <inheritdoc />
    public override string Slides => "beyond (Ghorbani et al. 2019)";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        string model = context.Pick("mlp:784-16-10", "mlp:784-64-10", "mlp:784-500-300-10", "resnet32");
        long trainCount = context.Pick(500L, 2000L, 10000L, 50000L);
        var options = new TrainingRun(model, new TrainingOptions
        {
            Loss = new CrossEntropyLoss(),
            BatchSize = context.Pick(32, 64, 128),
            LearningRate = 0.1,
            Momentum = context.Pick(0.0, 0.0, 0.9),
            WeightDecay = context.Pick(0.0, 0.0, 1e-4),
            Schedule = ScheduleSpec.Parse(context.Pick("constant", "constant", "step:32000,48000:0.1")),
            Steps = context.Pick(300L, 1000L, 3000L, 64000L),
            Seed = context.Seed,
            ChunkSize = 1000,
        });
        long curvatureExamples = context.Pick(200L, 500L, 2000L, 10000L);
        int steps = context.Pick(25, 80, 90, 90);
        int probes = context.Pick(4, 4, 6, 10);
        int hutchinsonProbes = context.Pick(16, 30, 60, 100);

        using var split = SbLbSupport.LoadSubsets(context, "cifar10", trainCount, context.Pick(300L, 1000L, 2000L, 10000L));
        using var data = options.PrepareData(split, context.Device);
        using var run = context.Train("model", options, data);
        var op = new HessianOperator(run.Model, new CrossEntropyLoss(), data.Train,
            new CurvatureOptions(BatchSize: Math.Min(curvatureExamples, 1000), Subset: curvatureExamples));
        string problem = $"hessian on {op.Examples} examples";
        var slq = SpectralDensity.Estimate(op, new SpectralDensityOptions(Probes: probes, Steps: steps, GridPoints: 1000, Seed: context.Seed,
            Checkpoint: context.SpectrumCheckpoint("density", run.Model, problem)));
        var same = Hutchinson.Estimate(op, new HutchinsonOptions(Probes: Math.Max(2, probes), Seed: context.Seed));
        var independent = Hutchinson.Estimate(op, new HutchinsonOptions(Probes: hutchinsonProbes, Seed: context.Seed + 1000));
        var top = Lanczos.Run(op, new LanczosOptions(Top: 1, Bottom: 1, Tolerance: 1e-5, Seed: context.Seed + 7,
            Checkpoint: context.SpectrumCheckpoint("extremes", run.Model, problem)));

        double weightError = slq.Probes.Max(r => Math.Abs(r.Weights.Sum() - 1));
        double h = slq.Grid[1] - slq.Grid[0];
        double integral = h * (slq.Density.Sum() - 0.5 * (slq.Density[0] + slq.Density[^1]));
        // Per-probe quadrature traces, for the SLQ standard error.
        var perProbe = slq.Probes.Select(r => op.Dimension * r.Nodes.Zip(r.Weights, (t, w) => t * w).Sum()).ToArray();
        double slqStdErr = perProbe.Length > 1 ? Math.Sqrt(perProbe.Sum(t => (t - slq.TraceEstimate) * (t - slq.TraceEstimate)) / (perProbe.Length - 1) / perProbe.Length) : 0;
        double sameProbes = probes >= 2 ? same.Trace : same.Samples[0];
        double sameError = Math.Abs(slq.TraceEstimate - sameProbes) / Math.Max(Math.Abs(sameProbes), 1e-12);
        // The spread of z^T H z is estimated from the larger independent sample (a few SLQ probes estimate it poorly):
        // s.e.(SLQ) = sd / sqrt(probes), sd = s.e.(Hutchinson) sqrt(N_Hutchinson).
        double sd = independent.StandardError * Math.Sqrt(hutchinsonProbes);
        double combined = Math.Sqrt(sd * sd / probes + independent.StandardError * independent.StandardError);
        double zScore = Math.Abs(slq.TraceEstimate - independent.Trace) / Math.Max(combined, 1e-12);
        double maxNode = slq.Probes.Max(r => r.Nodes[^1]);
        double minNode = slq.Probes.Min(r => r.Nodes[0]);
        double topError = Math.Abs(maxNode - top.Eigenvalues[0]) / Math.Abs(top.Eigenvalues[0]);
        var inv = CultureInfo.InvariantCulture;
        context.Log(string.Create(inv, $"SLQ trace {slq.TraceEstimate:G5} (same-probe Hutchinson {sameProbes:G5}), independent Hutchinson {independent.Trace:G5} +- {independent.StandardError:G3}; top {top.Eigenvalues[0]:G5} vs max node {maxNode:G5}"));

        context.WriteCsv("density.csv", new[] { "eigenvalue", "density" },
            slq.Grid.Select((t, i) => (IReadOnlyList<object>)new object[] { t, slq.Density[i] }));
        context.WriteCsv("quadrature.csv", new[] { "probe", "node", "weight" },
            slq.Probes.SelectMany((r, k) => r.Nodes.Select((t, j) => (IReadOnlyList<object>)new object[] { k, t, r.Weights[j] })));
        context.WriteJson("summary.json", new
        {
            options = options.Training,
            options.Model,
            curvatureExamples,
            dimension = op.Dimension,
            lanczosSteps = steps,
            probes,
            sigma = slq.Sigma,
            slq.Mean,
            slq.TraceEstimate,
            slqStandardError = slqStdErr,
            sameProbeHutchinson = sameProbes,
            independentHutchinson = new { independent.Trace, independent.StandardError, independent.Lower, independent.Upper, probes = hutchinsonProbes, independent.Samples },
            sameProbeSamples = same.Samples,
            weightSumError = weightError,
            densityIntegral = integral,
            lanczosTop = top.Eigenvalues[0],
            lanczosBottom = top.Bottom[0],
            maxNode,
            minNode,
            train = run.Result.History[^1],
        });

        var logDensity = slq.Density.Select(v => Math.Max(v, 1e-10)).ToArray();
        Charts.Lines(new[]
        {
            new Series(string.Create(inv, $"SLQ density ({probes} probes x {steps} steps, sigma {slq.Sigma:G2})"), slq.Grid, logDensity, Color: 0),
            new Series(string.Create(inv, $"Lanczos top eigenvalue {top.Eigenvalues[0]:G4}"), new[] { top.Eigenvalues[0], top.Eigenvalues[0] }, new[] { 1e-10, logDensity.Max() }, Dashed: true, Color: 3),
        }, new ChartOptions(context.PlotTitle($"Hessian eigenvalue density, {model}"), "eigenvalue", "density (log scale, floored at 1e-10)", LogY: true),
            context.PathOf("density.png"), context.PathOf("density.svg"));

        bool claim = weightError < 1e-6 && Math.Abs(integral - 1) < 1e-6 && sameError < 1e-3 && zScore < 3 && topError < 0.05;
        return new FigureOutcome(claim,
            "the SLQ density integrates to 1, its trace matches Hutchinson (same probes exactly, independent probes within 3 standard errors) and its edge matches Lanczos' top eigenvalue",
            new (string, string, string?)[]
            {
                ("setting", string.Create(inv, $"{model}, {trainCount} training examples, {options.Training.Steps} SGD steps; Hessian on {curvatureExamples} examples, n = {op.Dimension}"), "Ghorbani et al.: ResNet-32 CIFAR-10, 90 steps, 10 probes"),
                ("SLQ", string.Create(inv, $"{probes} probes x {steps} steps, sigma {slq.Sigma:G3}"), "80-100 steps, several probes, Gaussian broadening"),
                ("density integral; max |sum of weights - 1|", string.Create(inv, $"{integral:F8}; {weightError:G2}"), "1; 0"),
                ("trace: SLQ vs same-probe Hutchinson", string.Create(inv, $"{slq.TraceEstimate:G6} vs {sameProbes:G6} (rel. diff {sameError:G2})"), "equal"),
                ("trace: SLQ vs independent Hutchinson", string.Create(inv, $"{slq.TraceEstimate:G5} +- {slqStdErr:G3} vs {independent.Trace:G5} +- {independent.StandardError:G3} ({zScore:F2} combined s.e., sd of z^T H z {sd:G3})"), "consistent"),
                ("mean of the density = trace / n", string.Create(inv, $"{slq.Mean:G5} vs {slq.TraceEstimate / op.Dimension:G5}"), null),
                ("largest Ritz node vs Lanczos top; smallest node vs Lanczos bottom", string.Create(inv, $"{maxNode:G5} vs {top.Eigenvalues[0]:G5}; {minNode:G4} vs {top.Bottom[0]:G4}"), "bulk near 0, a few outliers, small negative tail"),
            },
            // Ghorbani et al.'s setting: 80-100 Lanczos steps, several probes, the Hessian of a trained net.
            new[]
            {
                Precondition.AtLeast("Lanczos steps per probe", steps, 80),
                Precondition.AtLeast("probes", probes, 4),
                Precondition.AtLeast("train accuracy (%)", 100 * (run.Result.History[^1].TrainAccuracy ?? double.NaN), 90),
            });
    }
}
