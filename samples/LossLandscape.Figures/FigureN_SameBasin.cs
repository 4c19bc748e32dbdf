using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Losses;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure N (slide 28): are solutions found by different algorithms (SGD, GD, SGD with momentum), with and without
/// preprocessing, and with MSE instead of log-loss in the same basin? Pairwise straight-line interpolation gives a
/// barrier matrix. And where is the threshold in the number of parameters M: the barrier between two seeds of an MLP
/// as its hidden width grows.
/// </summary>
/// <remarks>
/// Common coordinates: every solution is an MLP of the same shape acting on raw pixels. A net trained on normalized
/// inputs x' = (x - m) / s computes W x' + b = (W / s) x + (b - W (m / s)), so its first layer is folded into
/// W' = W diag(1/s), b' = b - W (m / s) before interpolating (exact; the MLPs see no augmentation).
/// Common measure: losses differ in scale and an MSE-trained net's outputs are not logits, so the matrix is the barrier
/// of the classification error, max_a err(a) - max(err(0), err(1)) with err = 1 - accuracy, on the test set (and on
/// the training set in the CSV); the cross-entropy barrier max_a CE(a) - max(CE(0), CE(1)) on the training set is
/// given among the CE-trained solutions only. The solutions of different algorithms share one initialization (seed);
/// "SGD, other seed" starts elsewhere, for contrast.
/// </remarks>
public sealed partial class FigureN : Figure
{
    /// <inheritdoc />
    public override string Id => "N";

    /// <inheritdoc />
    public override string Title => "Same basin? Barriers between solutions of different algorithms, and vs the number of parameters";

    /// <inheritdoc />
    public override string Slides => "28";

    private sealed record Solution(string Label, TrainingRun Options);

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        var (hidden, trainCount, testCount) = context.Pick((32, 500L, 300L), (64, 1500L, 1000L), (256, 10000L, 2000L), (500, 60000L, 10000L));
        string model = context.Preset == Preset.Full ? "mlp:784-500-300-10" : $"mlp:784-{hidden}-10";
        long steps = context.Pick(120L, 400L, 3000L, 20000L);
        var sgd = new TrainingRun(model, new TrainingOptions
        {
            BatchSize = 64,
            Steps = steps,
            LearningRate = 0.05,
            Seed = context.Seed,
        }) { Data = context.Preset == Preset.Full ? "mnist" : "fashion-mnist" };
        var solutions = new[]
        {
            new Solution("SGD", sgd),
            new Solution("GD", sgd.With(o => o with { FullBatch = true, Steps = context.Pick(60L, 100L, 500L, 5000L), LearningRate = 0.5 })),
            new Solution("momentum", sgd.With(o => o with { Momentum = 0.9, LearningRate = 0.01 })),
            new Solution("no preproc.", sgd with { Preprocessing = false }),
            new Solution("MSE", sgd.With(o => o with { Loss = new SquaredErrorLoss(), LearningRate = 0.02 })),
            new Solution("SGD, other seed", sgd.With(o => o with { Seed = context.Seed + 1 })),
        };

        using var split = context.LoadData("mnist");
        using var subset = FigureData.Subset(context, split, trainCount, testCount);
        using var raw = (sgd with { Preprocessing = false }).PrepareData(subset, context.Device);
        using var normalized = sgd.PrepareData(subset, context.Device);

        // Train every solution and express it on raw pixels.
        var thetas = new List<Tensor>();
        var finals = new List<TrainingRecord>();
        using var probeModel = sgd.CreateModel(raw.Train.ExampleShape, raw.Train.NumClasses, context.Device);
        var space = new ParameterSpace(probeModel);
        foreach (var s in solutions)
        {
            var data = s.Options.Preprocessing ? normalized : raw;
            using var run = context.Train(Slug(s.Label), s.Options, data);
            finals.Add(run.Result.History[^1]);
            if (s.Options.Preprocessing) FoldNormalization(run.Model, data.Mean!, data.Std!, raw.Train.ExampleShape);
            thetas.Add(new ParameterSpace(run.Model).Get().DetachFromDisposeScope());
        }

        int n = solutions.Length;
        var alphas = Alphas.Linspace(0, 1, context.Pick(9, 11, 21, 21));
        var probe = new LandscapeProbe(probeModel, raw.Train, raw.Test, new ProbeOptions { ChunkSize = 2000 }, space);
        var testErr = new double[n, n];
        var trainErr = new double[n, n];
        var ce = new double[n, n];
        var endpoints = new PointMeasure[n];
        var rows = new List<IReadOnlyList<object>>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                var line = probe.Interpolate(new ModelPoint(thetas[i]), new ModelPoint(thetas[j]), alphas);
                var p = line.Points;
                endpoints[i] = new PointMeasure(p[0].Loss, p[0].Accuracy, p[0].TestLoss, p[0].TestAccuracy);
                endpoints[j] = new PointMeasure(p[^1].Loss, p[^1].Accuracy, p[^1].TestLoss, p[^1].TestAccuracy);
                testErr[i, j] = testErr[j, i] = Barrier(p.Select(q => 1 - (q.TestAccuracy ?? double.NaN)).ToArray());
                trainErr[i, j] = trainErr[j, i] = Barrier(p.Select(q => 1 - q.Accuracy).ToArray());
                ce[i, j] = ce[j, i] = Barrier(p.Select(q => q.Loss).ToArray());
                rows.Add(new object[] { solutions[i].Label, solutions[j].Label, testErr[i, j], trainErr[i, j], ce[i, j] });
            }
        context.WriteCsv("barriers.csv", new[] { "a", "b", "test_error_barrier", "train_error_barrier", "train_ce_barrier" }, rows);

        var labels = solutions.Select(s => s.Label).ToArray();
        Charts.Matrix(Percent(testErr), labels, labels,
            new ChartOptions(context.PlotTitle($"test-error barrier (percentage points) on the line, {model}"), Width: 1000, Height: 750),
            context.PathOf("barrier-matrix.png"), context.PathOf("barrier-matrix.svg"));
        var ceIdx = Enumerable.Range(0, n).Where(i => solutions[i].Options.Training.Loss is CrossEntropyLoss).ToArray();
        var ceMatrix = new double[ceIdx.Length, ceIdx.Length];
        for (int r = 0; r < ceIdx.Length; r++)
            for (int c = 0; c < ceIdx.Length; c++) ceMatrix[r, c] = ce[ceIdx[r], ceIdx[c]];
        var ceLabels = ceIdx.Select(i => labels[i]).ToArray();
        var aligned = AlignedBarriers(context, () => sgd.CreateModel(raw.Train.ExampleShape, raw.Train.NumClasses, context.Device), thetas, probe, alphas, labels, model);
        Charts.Matrix(ceMatrix, ceLabels, ceLabels,
            new ChartOptions(context.PlotTitle("cross-entropy barrier (train) among CE-trained solutions"), Width: 1000, Height: 750),
            context.PathOf("barrier-matrix-ce.png"), context.PathOf("barrier-matrix-ce.svg"));

        // Width sweep: barrier between two seeds vs the number of parameters.
        var widths = context.Pick(new[] { 2, 64 }, new[] { 2, 8, 32, 128 }, new[] { 2, 8, 32, 128, 512 }, new[] { 2, 4, 8, 16, 32, 64, 128, 512, 2048 });
        var sweep = new List<(int Width, long Parameters, double Ce, double TrainErr, double TestErr, double EndLoss)>();
        var alignedSweep = new List<(double Ce, double TestErr)>();
        foreach (var w in widths)
        {
            var o = sgd with { Model = $"mlp:784-{w}-10" };
            using var ra = context.Train($"width-{w}-seed-a", o, normalized);
            using var rb = context.Train($"width-{w}-seed-b", o.With(t => t with { Seed = context.Seed + 1 }), normalized);
            var sa = new ParameterSpace(ra.Model);
            using var ta = sa.Get();
            using var tb = new ParameterSpace(rb.Model).Get();
            var wprobe = new LandscapeProbe(ra.Model, normalized.Train, normalized.Test, new ProbeOptions { ChunkSize = 2000 });
            var p = wprobe.Interpolate(new ModelPoint(ta), new ModelPoint(tb), alphas).Points;
            sweep.Add((w, sa.Count, Barrier(p.Select(q => q.Loss).ToArray()), Barrier(p.Select(q => 1 - q.Accuracy).ToArray()),
                Barrier(p.Select(q => 1 - (q.TestAccuracy ?? double.NaN)).ToArray()), Math.Max(p[0].Loss, p[^1].Loss)));
            alignedSweep.Add(AlignedSeedBarrier(wprobe, ra.Model, rb.Model, ta, alphas));
        }
        context.WriteCsv("width-sweep.csv", new[] { "hidden_width", "parameters", "train_ce_barrier", "train_error_barrier", "test_error_barrier", "higher_end_train_loss" },
            sweep.Select(s => (IReadOnlyList<object>)new object[] { s.Width, s.Parameters, s.Ce, s.TrainErr, s.TestErr, s.EndLoss }));
        var m = sweep.Select(s => (double)s.Parameters).ToArray();
        Charts.Lines(new[]
        {
            new Series("train cross-entropy barrier", m, sweep.Select(s => s.Ce).ToArray(), Color: 0),
            new Series("train error barrier (right)", m, sweep.Select(s => s.TrainErr).ToArray(), Dashed: true, RightAxis: true, Color: 1),
            new Series("test error barrier (right)", m, sweep.Select(s => s.TestErr).ToArray(), Dashed: true, RightAxis: true, Color: 2),
        }, new ChartOptions(context.PlotTitle("barrier between two seeds vs number of parameters M (784-h-10)"), "number of parameters M", "CE barrier", LogX: true, RightLabel: "error barrier (fraction)"),
            context.PathOf("barrier-vs-parameters.png"), context.PathOf("barrier-vs-parameters.svg"));

        foreach (var t in thetas) t.Dispose();

        // Claims: the solutions of different algorithms from one initialization are closer (lower mean test-error
        // barrier) than two SGD seeds; the barrier between seeds shrinks from the narrowest to the widest net.
        int other = n - 1;
        var sameInit = new List<double>();
        for (int i = 0; i < other; i++)
            for (int j = i + 1; j < other; j++) sameInit.Add(testErr[i, j]);
        double seedBarrier = testErr[0, other];
        bool shrinks = sweep[^1].Ce < sweep[0].Ce;
        var claim = shrinks && sameInit.Average() <= seedBarrier;
        var alignment = WriteAlignment(context, labels, testErr, ce, aligned, sweep.Select(s => (s.Width, s.Parameters, s.Ce, s.TestErr)).ToList(), alignedSweep);
        claim &= alignment.Holds;

        context.WriteJson("summary.json", new
        {
            model,
            trainExamples = raw.Train.Count,
            testExamples = raw.Test!.Count,
            solutions = solutions.Select((s, i) => new { s.Label, Loss = s.Options.Training.Loss.Name, s.Options.Training.FullBatch, s.Options.Training.Momentum, s.Options.Preprocessing, s.Options.Training.Seed, s.Options.Training.Steps, s.Options.Training.LearningRate, trainLossOwn = finals[i].TrainLoss, trainAccuracy = endpoints[i].Accuracy, testAccuracy = endpoints[i].TestAccuracy }),
            testErrorBarriers = ToRows(testErr),
            trainErrorBarriers = ToRows(trainErr),
            trainCeBarriers = ToRows(ce),
            meanTestErrorBarrierSameInit = sameInit.Average(),
            testErrorBarrierBetweenSeeds = seedBarrier,
            widthSweep = sweep.Select(s => new { s.Width, s.Parameters, trainCeBarrier = s.Ce, trainErrorBarrier = s.TrainErr, testErrorBarrier = s.TestErr, higherEndTrainLoss = s.EndLoss }),
        });
        var inv = CultureInfo.InvariantCulture;
        return new FigureOutcome(claim,
            "solutions of different algorithms from one initialization have lower test-error barriers than two SGD seeds, and the barrier between seeds shrinks as the width (M) grows; weight matching lowers the barrier between seeds",
            new (string, string, string?)[]
            {
                ("setting", $"{model}, {raw.Train.Count} train / {raw.Test.Count} test examples; {string.Join(", ", labels)}", "several solutions, pairwise interpolation (the talk asks, gives no numbers)"),
                ("test accuracy of the solutions", string.Join(", ", labels.Select((l, i) => $"{l} {endpoints[i].TestAccuracy:P1}")), null),
                ("mean test-error barrier, same initialization", (100 * sameInit.Average()).ToString("F2", inv) + " pp", "same basin? (question)"),
                ("test-error barrier between two SGD seeds", (100 * seedBarrier).ToString("F2", inv) + " pp", null),
                ("max test-error barrier, same init (pair)", MaxPair(testErr, labels, other), null),
                ("CE barrier between seeds by width h (M)", string.Join(", ", sweep.Select(s => $"{s.Width} ({s.Parameters}): {s.Ce:F3}")), "barriers of order 1/M (Freeman & Bruna), vanishing for large M"),
            }.Concat(alignment.Rows).ToArray(),
            // Barriers between solutions mean something when the solutions are trained; a trend in M needs a sweep
            // over more than two orders of magnitude of the width.
            new[]
            {
                Precondition.AllAtLeast("train accuracy (%)", labels.Select((l, i) => (l, 100 * endpoints[i].Accuracy)), 80),
                Precondition.AtLeast("widest / narrowest hidden width", (double)widths[^1] / widths[0], 16),
                Precondition.AtLeast("points on each line", alphas.Length, 11),
            });
    }

    /// <summary>max_a v(a) - max(v(first), v(last)) over a line's values.</summary>
    public static double Barrier(double[] v) => Barriers.AboveHigherEnd(v);

    /// <summary>
    /// Rewrites the first Linear layer of an MLP trained on inputs normalized per channel, (x - m_c) / s_c, so that it
    /// computes the same function of the raw inputs: W' = W diag(1 / s), b' = b - W (m / s) (per input feature).
    /// </summary>
    public static void FoldNormalization(nn.Module model, IReadOnlyList<double> mean, IReadOnlyList<double> std, long[] exampleShape)
    {
        var ps = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (!ps.TryGetValue("0.weight", out var w) || !ps.TryGetValue("0.bias", out var b))
            throw new LossLandscapeException("Folding the input normalization needs an MLP whose first layer is named '0' (weight and bias).");
        long features = exampleShape.Aggregate(1L, (x, y) => x * y);
        long perChannel = features / mean.Count;
        if (w.shape[1] != features || perChannel * mean.Count != features)
            throw new LossLandscapeException($"The first layer takes {w.shape[1]} inputs; the examples have {features} values in {mean.Count} channel(s).");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var m = tensor(mean.ToArray(), dtype: w.dtype, device: w.device).repeat_interleave(perChannel);
        var s = tensor(std.ToArray(), dtype: w.dtype, device: w.device).repeat_interleave(perChannel);
        var wNew = w / s.unsqueeze(0);
        b.sub_(wNew.matmul(m));
        w.copy_(wNew);
    }

    private static double[,] Percent(double[,] v)
    {
        var r = (double[,])v.Clone();
        for (int i = 0; i < r.GetLength(0); i++)
            for (int j = 0; j < r.GetLength(1); j++) r[i, j] = Math.Round(100 * v[i, j], 2);
        return r;
    }

    private static double[][] ToRows(double[,] v) =>
        Enumerable.Range(0, v.GetLength(0)).Select(i => Enumerable.Range(0, v.GetLength(1)).Select(j => v[i, j]).ToArray()).ToArray();

    private static string MaxPair(double[,] v, string[] labels, int count)
    {
        (double Value, int I, int J) best = (double.NegativeInfinity, 0, 0);
        for (int i = 0; i < count; i++)
            for (int j = i + 1; j < count; j++)
                if (v[i, j] > best.Value) best = (v[i, j], i, j);
        return $"{100 * best.Value:F2} pp ({labels[best.I]} - {labels[best.J]})";
    }

    private static string Slug(string label) => new string(label.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-').Replace("--", "-", StringComparison.Ordinal);
}
