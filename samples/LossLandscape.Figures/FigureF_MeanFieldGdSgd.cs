using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Plotting;
using LossLandscape.Losses;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure F (slides 16-19): GD vs SGD for a two-layer net in the mean-field scaling, f(x) = (1/N) sum_i a_i sigma(&lt;w_i, x&gt;),
/// as the width N grows, on the task of Mei, Montanari and Nguyen (2018): y = +-1, x | y ~ N(0, (1 + y Delta)^2 I_d),
/// d = 40, Delta = 0.8, squared loss (y - f(x))^2. The risk (test MSE) is plotted against the mean-field time
/// t = k eps for several N, full-batch GD and SGD at two noise levels theta = eps / B (Rotskoff and Vanden-Eijnden 2018).
/// </summary>
/// <remarks>
/// Scaling: with the 1/N output factor the gradient of one neuron's parameters is O(1/N), so the learning rate is
/// lr = N eps (Mei et al.: step s_k = eps xi(k eps) applied to N times the per-neuron gradient); then one step moves each
/// neuron by O(eps) whatever N, and the curves for different N share the time axis t = k eps.
/// Bias: the neurons of the talk's net have no bias and ReLU is positively homogeneous, so without a bias f(t x) = t f(x)
/// could not separate the two classes, which differ only in |x|. Each input therefore gets a constant extra coordinate 1
/// (d + 1 = 41 inputs, the last weight of each neuron acting as its bias); Mei et al. get the same effect from a
/// non-homogeneous sigma_*.
/// Gap: G(N, theta) = mean over the evaluation times of |R_SGD(t) - R_GD(t)|, the SGD curve being the mean over seeds.
/// Theory (mean-field limit): as N grows GD and SGD follow the same deterministic curve up to the SGD noise, whose size
/// is set by theta; at small N both are also subject to the finite-N non-convexity (large spreads over seeds).
/// </remarks>
public sealed class FigureF : Figure
{
    /// <inheritdoc />
    public override string Id => "F";

    /// <inheritdoc />
    public override string Title => "Mean-field two-layer net: GD vs SGD as the width N grows";

    /// <inheritdoc />
    public override string Slides => "16-19";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        const int d = 40;
        const double delta = 0.8;
        var widths = context.Pick(new[] { 4, 32 }, new[] { 4, 40, 200 }, new[] { 10, 40, 160, 800 }, new[] { 10, 40, 160, 800, 3200 });
        long nTrain = context.Pick(300L, 600L, 4000L, 20000L);
        long nTest = context.Pick(300L, 1000L, 2000L, 10000L);
        double eps = context.Pick(0.01, 0.01, 0.005, 0.002);
        double time = context.Pick(1.5, 8.0, 20.0, 40.0);
        int seeds = context.Pick(1, 1, 2, 4);
        // theta = eps / B: the large-noise SGD uses B = 1, the small-noise one B = 16.
        var batches = context.Pick(new[] { 1, 16 }, new[] { 1, 16 }, new[] { 1, 16 });
        long steps = (long)Math.Round(time / eps);
        int evals = context.Pick(10, 40, 60, 100);

        var spec = string.Create(CultureInfo.InvariantCulture, $"synthetic:meanfield:d={d},delta={delta},n={nTrain},ntest={nTest},seed={context.Seed}");
        using var raw = SyntheticData.Create(spec);
        context.DataName = $"synthetic mean-field, d={d}, Delta={delta}";
        context.Log($"data: {spec} (+ a constant input coordinate as the neurons' bias)");
        using var data = new TrainingData(WithConstant(raw.Train), WithConstant(raw.Test), null, "constant coordinate appended");

        var rows = new List<IReadOnlyList<object>>();
        var series = new List<Series>();
        var gaps = new Dictionary<(int N, int B), double>();
        var finals = new Dictionary<(int N, string Method), double>();
        var scaledGaps = new Dictionary<int, (int B, double Gap)>();
        var gdStart = new Dictionary<int, double>();
        for (int wi = 0; wi < widths.Length; wi++)
        {
            int n = widths[wi];
            double lr = n * eps;
            var baseOptions = new TrainingRun($"meanfield:{d + 1}x{n}", new TrainingOptions
            {
                Loss = new SquaredErrorLoss(),
                Steps = steps,
                LearningRate = lr,
                EvalEvery = Math.Max(1, steps / evals),
                ChunkSize = 5000,
            }) { Data = spec, Preprocessing = false };
            var gdCurve = new List<(double T, double Risk)>();
            for (int s = 0; s < seeds; s++)
            {
                using var gd = context.Train($"N{n}-gd-seed{s}", baseOptions.With(o => o with { FullBatch = true, Seed = context.Seed + s }), data);
                var c = Curve(gd.Result.History, eps);
                Accumulate(gdCurve, c, seeds);
                foreach (var (t, r) in c) rows.Add(new object[] { n, "GD", 0.0, s, t, r });
            }
            series.Add(new Series($"GD, N={n}", gdCurve.Select(p => p.T).ToArray(), gdCurve.Select(p => p.Risk).ToArray(), Color: wi));
            finals[(n, "GD")] = gdCurve[^1].Risk;
            gdStart[n] = gdCurve[0].Risk;
            // Three SGD noise levels: theta = eps (B = 1), eps / 16 (B = 16), and theta = 4 eps / N (B = N / 4), the scaling
            // under which Rotskoff and Vanden-Eijnden's SGD fluctuations vanish as N grows.
            foreach (int b in batches.Append(Math.Max(1, n / 4)).Distinct())
            {
                var sgdCurve = new List<(double T, double Risk)>();
                for (int s = 0; s < seeds; s++)
                {
                    using var sgd = context.Train($"N{n}-sgd-B{b}-seed{s}", baseOptions.With(o => o with { BatchSize = b, Seed = context.Seed + s }), data);
                    var c = Curve(sgd.Result.History, eps);
                    Accumulate(sgdCurve, c, seeds);
                    foreach (var (t, r) in c) rows.Add(new object[] { n, $"SGD B={b}", eps / b, s, t, r });
                }
                if (b == batches[0])
                    series.Add(new Series($"SGD B={b}, N={n}", sgdCurve.Select(p => p.T).ToArray(), sgdCurve.Select(p => p.Risk).ToArray(), Dashed: true, Color: wi));
                finals[(n, $"SGD B={b}")] = sgdCurve[^1].Risk;
                if (b == Math.Max(1, n / 4)) scaledGaps[n] = (b, gdCurve.Zip(sgdCurve, (g, q) => Math.Abs(g.Risk - q.Risk)).Skip(1).Average());
                gaps[(n, b)] = gdCurve.Zip(sgdCurve, (g, q) => Math.Abs(g.Risk - q.Risk)).Skip(1).Average();
                context.Log(string.Create(CultureInfo.InvariantCulture, $"N={n}, B={b}: mean |R_SGD - R_GD| = {gaps[(n, b)]:G4}"));
            }
        }

        context.WriteCsv("risk.csv", new[] { "N", "method", "theta", "seed", "time", "test_risk" }, rows);
        context.WriteCsv("gap.csv", new[] { "N", "batch", "theta", "mean_abs_gap" },
            gaps.Select(kv => (IReadOnlyList<object>)new object[] { kv.Key.N, kv.Key.B, eps / kv.Key.B, kv.Value }));
        Charts.Lines(series, new ChartOptions(context.PlotTitle("risk vs time, GD solid, SGD B=1 dashed"),
            "time t = steps x eps (lr = N eps)", "risk (test MSE)", LogX: true, Width: 1100),
            context.PathOf("risk.png"), context.PathOf("risk.svg"));
        var gapSeries = batches.Select((b, i) => new Series(string.Create(CultureInfo.InvariantCulture, $"theta = eps/B = {eps / b:G3} (B={b})"),
            widths.Select(w => (double)w).ToArray(), widths.Select(w => gaps[(w, b)]).ToArray(), Color: i)).ToList();
        gapSeries.Add(new Series("theta = 4 eps / N (B = N/4)", widths.Select(w => (double)w).ToArray(), widths.Select(w => scaledGaps[w].Gap).ToArray(), Dashed: true, Color: 3));
        Charts.Lines(gapSeries,
            new ChartOptions(context.PlotTitle("GD-SGD gap vs width"), "width N", "mean |R_SGD(t) - R_GD(t)|", LogX: true, LogY: true),
            context.PathOf("gap.png"), context.PathOf("gap.svg"));

        int small = widths[0], large = widths[^1];
        double gapSmallN = gaps[(small, batches[0])], gapLargeN = gaps[(large, batches[0])];
        double gapLargeTheta = gaps[(large, batches[0])], gapSmallTheta = gaps[(large, batches[^1])];
        double scaledSmall = scaledGaps[small].Gap, scaledLarge = scaledGaps[large].Gap;
        bool thetaEverywhere = widths.All(w => gaps[(w, batches[^1])] < gaps[(w, batches[0])]);
        bool claim = scaledLarge < scaledSmall && thetaEverywhere;
        context.WriteJson("summary.json", new
        {
            data = spec,
            widths,
            eps,
            time,
            steps,
            seeds,
            batches,
            gaps = gaps.Select(kv => new { n = kv.Key.N, batch = kv.Key.B, theta = eps / kv.Key.B, gap = kv.Value }),
            gapsThetaScaledWithN = scaledGaps.Select(kv => new { n = kv.Key, batch = kv.Value.B, theta = eps / kv.Value.B, gap = kv.Value.Gap }),
            finalRisk = finals.Select(kv => new { n = kv.Key.N, method = kv.Key.Method, risk = kv.Value }),
        });
        var inv = CultureInfo.InvariantCulture;
        var numbers = new List<(string, string, string?)>
        {
            ("setting", string.Create(inv, $"N in {{{string.Join(", ", widths)}}}, lr = N x {eps}, t up to {time} ({steps} steps), {seeds} seed(s), {nTrain} training examples"), "Mei et al.: N up to ~800+, online SGD"),
            (string.Create(inv, $"mean |R_SGD - R_GD|, theta = 4 eps / N: N={small} (B={scaledGaps[small].B}) vs N={large} (B={scaledGaps[large].B})"), string.Create(inv, $"{scaledSmall:G3} vs {scaledLarge:G3}"), "gap shrinks with N (R&VE: when theta -> 0 with N)"),
            (string.Create(inv, $"mean |R_SGD - R_GD|, fixed theta={eps / batches[0]:G3}: N={small} vs N={large}"), string.Create(inv, $"{gapSmallN:G3} vs {gapLargeN:G3}"), "R&VE: at fixed theta an O(sqrt theta) SGD term remains"),
            (string.Create(inv, $"mean |R_SGD - R_GD| at N={large}: theta={eps / batches[0]:G3} vs theta={eps / batches[^1]:G3}"), string.Create(inv, $"{gapLargeTheta:G3} vs {gapSmallTheta:G3}"), "gap shrinks with theta"),
        };
        foreach (int n in widths)
            numbers.Add((string.Create(inv, $"final test risk N={n}: GD / SGD B={batches[0]}"), string.Create(inv, $"{finals[(n, "GD")]:F4} / {finals[(n, $"SGD B={batches[0]}")]:F4}"), null));
        // A trend in N needs at least three widths over a decade, and GD must have learned (risk at most half its start).
        var gdLearned = widths.Select(w => ($"N={w}", finals[(w, "GD")] / gdStart[w]));
        return new FigureOutcome(claim, "the GD-SGD risk gap shrinks as theta = eps / B shrinks (at every N), and as N grows when theta shrinks with N (B = N/4)", numbers,
            new[]
            {
                Precondition.AtLeast("widths N", widths.Length, 3),
                Precondition.AtLeast("largest / smallest width", (double)widths[^1] / widths[0], 10),
                Precondition.AllAtMost("GD final / initial test risk", gdLearned, 0.5),
            });
    }

    /// <summary>The data set with a constant coordinate 1 appended to every input: [P, d] becomes [P, d + 1].</summary>
    private static Dataset WithConstant(Dataset d)
    {
        using var scope = NewDisposeScope();
        var x = cat(new[] { d.Inputs, ones(d.Count, 1, dtype: d.Inputs.dtype) }, 1).MoveToOuterDisposeScope();
        return new Dataset(d.Name + "+1", x, d.Labels.clone().MoveToOuterDisposeScope(), d.ClassNames);
    }

    private static List<(double T, double Risk)> Curve(IReadOnlyList<TrainingRecord> history, double eps) =>
        history.Where(r => r.TestLoss is not null).Select(r => (r.Step * eps, r.TestLoss!.Value)).ToList();

    private static void Accumulate(List<(double T, double Risk)> mean, List<(double T, double Risk)> curve, int count)
    {
        if (mean.Count == 0) mean.AddRange(curve.Select(p => (p.T, p.Risk / count)));
        else for (int i = 0; i < mean.Count; i++) mean[i] = (mean[i].T, mean[i].Risk + curve[i].Risk / count);
    }
}
