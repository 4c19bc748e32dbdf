using System.Globalization;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure P (beyond the talk; Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"): the training loss on a
/// 2D plane through a trained ResNet spanned by two filter-normalized random directions, with and without skip
/// connections. Without skips the surface is sharper and more chaotic (non-convex); with skips it is a smooth bowl.
/// </summary>
/// <remarks>
/// Surface: L(x, y) = L(theta* + x d1 + y d2) for (x, y) in [-1, 1]^2, with d1, d2 Gaussian and filter-normalized
/// (each filter rescaled to the norm of the matching filter of theta*; bias and BatchNorm directions zero), BatchNorm
/// statistics recomputed at every point. Measurable proxies reported for both nets:
/// edge rise = mean of L over the grid's boundary - L(0, 0);
/// non-convex fraction = the fraction of interior grid points where the central finite-difference Hessian of the
/// surface [[Lxx, Lxy], [Lxy, Lyy]] has lambda_min &lt; -0.1 |lambda_max| (Li et al. map |lambda_min / lambda_max|).
/// </remarks>
public sealed class FigureP : Figure
{
    /// <inheritdoc />
    public override string Id => "P";

    /// <inheritdoc />
    public override string Title => "2D filter-normalized loss surface of a ResNet with and without skip connections";

    /// <inheritdoc />
    public override string Slides => "beyond (Li et al. 2018)";

    private sealed record Surface(string Model, PlaneScanResult Scan, double Center, double EdgeRise, double NonConvexFraction, double TrainAccuracy);

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        var depth = context.Pick(8, 56, 56, 56);
        // Medium: both ResNet-56s trained long enough to reach comparable training loss, a 31x31 grid.
        var (trainCount, testCount, down) = context.Pick((128L, 32L, 2), (600L, 100L, 2), (20000L, 2000L, 2), (50000L, 10000L, 1));
        var options = new TrainingRun($"resnet{depth}", new TrainingOptions
        {
            BatchSize = context.Pick(32, 32, 64, 128),
            Steps = context.Pick(12L, 200L, 1500L, 117_300L),
            LearningRate = context.Pick(0.05, 0.05, 0.05, 0.1),
            Momentum = 0.9,
            WeightDecay = context.Pick(0.0, 5e-4, 5e-4, 5e-4),
            Schedule = ScheduleSpec.Parse(context.Pick("constant", "constant", "step:1000,1300:0.1", "step:58650,87975,107525:0.1")),
            CheckpointEvery = context.Pick(0L, 0L, 250L, 5000L),
            Seed = context.Seed,
        }) { Data = context.Preset == Preset.Full ? "cifar10" : "fashion-mnist", Augment = context.Pick("off", "off", "auto") };
        int points = context.Pick(5, 9, 31, 51);
        var grid = new GridSpec(-1, 1, points, -1, 1, points);
        long evalCount = context.Pick(48L, 128L, 256L, 50000L);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var split = context.LoadData("cifar10");
        using var small = down > 1 ? FigureData.Downsample(context, split, down) : null;
        using var data = FigureData.Prepare(context, small ?? split, trainCount, testCount, options);
        using var evalSet = evalCount < data.Train.Count ? data.Train.BalancedSubset(evalCount, context.Seed + 5) : data.Train.Take(data.Train.Count);
        var probeOptions = new ProbeOptions
        {
            ChunkSize = 500,
            BatchNorm = BatchNormPolicy.Recompute,
            RecomputeBatchSize = context.Pick(32L, 64L, 64L, 128L),
            RecomputeBatches = context.Pick(1, 1, 1, 8),
        };

        var surfaces = new List<Surface>();
        foreach (var spec in new[] { options.Model, options.Model + "-noshort" })
        {
            context.Log($"{clock.Elapsed.TotalSeconds:F1} s: training {spec}");
            using var run = context.Train(spec, options with { Model = spec }, data);
            context.Log($"{clock.Elapsed.TotalSeconds:F1} s: scanning the {points}x{points} plane of {spec}");
            var space = new ParameterSpace(run.Model);
            using var origin = space.Get();
            using var g = new Generator((ulong)context.Seed + 11);
            using var plane = Directions.FilterNormalizedPlane(space, origin, g);
            var probe = new LandscapeProbe(run.Model, evalSet, null, probeOptions);
            var file = spec.Replace("-", "_", StringComparison.Ordinal);
            // The scan keeps its finished points in grid-NAME.json(.partial): an interrupted figure resumes the grid.
            var shard = ResumableShard.Run(probe, plane, grid, ShardSpec.Single, context.PathOf($"grid-{file}.json"));
            if (shard.State != ShardRunState.Computed) context.Log($"{spec}: grid {shard.State.ToString().ToLowerInvariant()} ({shard.PointsBefore} points from an earlier run)");
            var scan = GridMerge.Merge(new[] { shard.Shard });
            plane.D1.Dispose();
            plane.D2.Dispose();
            context.Log($"{clock.Elapsed.TotalSeconds:F1} s: {spec} done");
            var (center, rise, nonConvex) = Proxies(scan.Losses);
            surfaces.Add(new Surface(spec, scan, center, rise, nonConvex, run.Result.History[^1].TrainAccuracy ?? double.NaN));
            Charts.Surface(scan.X, scan.Y, scan.Losses,
                new ChartOptions(context.PlotTitle($"{spec}: filter-normalized plane, {points}x{points}"), "x (d1)", "y (d2)", Width: 800, Height: 700),
                logColor: true, colorLabel: "train loss", context.PathOf($"surface-{file}.png"), context.PathOf($"surface-{file}.svg"));
            context.WriteCsv($"surface-{file}.csv", new[] { "x", "y", "train_loss", "train_accuracy" },
                from j in Enumerable.Range(0, scan.Y.Length) from i in Enumerable.Range(0, scan.X.Length)
                select (IReadOnlyList<object>)new object[] { scan.X[i], scan.Y[j], scan.Losses[j][i], scan.Accuracies[j][i] });
        }

        // The slice y = 0 of both surfaces on one plot.
        int mid = points / 2;
        Charts.Lines(surfaces.Select((s, k) => new Series($"{s.Model} (edge rise {s.EdgeRise:F2})", s.Scan.X, s.Scan.Losses[mid], Color: k)).ToArray(),
            new ChartOptions(context.PlotTitle("slice y = 0 of the filter-normalized surfaces"), "x (d1)", "train loss", LogY: true),
            context.PathOf("slices.png"), context.PathOf("slices.svg"));

        var (skip, noSkip) = (surfaces[0], surfaces[1]);
        // Li et al.'s claim is about shape: without skips the surface is chaotic / non-convex. The edge rise is reported
        // too, but a deep no-skip net trained briefly sits far above a minimum (its center loss stays high), which makes
        // it a poor measure of sharpness here.
        var claim = noSkip.NonConvexFraction > skip.NonConvexFraction;
        context.WriteJson("summary.json", new
        {
            grid = grid.ToString(),
            evaluationExamples = evalSet.Count,
            batchNorm = "recompute",
            surfaces = surfaces.Select(s => new { s.Model, centerLoss = s.Center, edgeRise = s.EdgeRise, nonConvexFraction = s.NonConvexFraction, trainAccuracyAtEnd = s.TrainAccuracy }),
        });
        var inv = CultureInfo.InvariantCulture;
        return new FigureOutcome(claim,
            "without skip connections the surface is more non-convex (larger fraction of grid points with a markedly negative finite-difference curvature)",
            new (string, string, string?)[]
            {
                ("setting", $"resnet{depth} and resnet{depth}-noshort, {data.Train.Count} training examples ({context.DataName}), {options.Training.Steps} steps; grid {points}x{points} on [-1, 1]^2, loss on {evalSet.Count} examples, BatchNorm recomputed",
                    "ResNet-56 and -noshort on CIFAR-10, 51x51 grid"),
                ("center loss: skip / no skip", $"{skip.Center:F3} / {noSkip.Center:F3}", null),
                ("edge rise: skip / no skip", $"{skip.EdgeRise:F3} / {noSkip.EdgeRise:F3}", "no-skip much sharper (chaotic at depth 56)"),
                ("non-convex fraction of the grid: skip / no skip", $"{skip.NonConvexFraction.ToString("P0", inv)} / {noSkip.NonConvexFraction.ToString("P0", inv)}", "~0 with skips, large without (ResNet-56)"),
            },
            // Li et al. compare two trained nets of comparable training loss, on a grid fine enough to resolve the surface.
            new[]
            {
                Precondition.AllAtMost("train loss at the center", surfaces.Select(s => (s.Model, s.Center)), 0.5),
                Precondition.Comparable("train loss at the center", skip.Model, skip.Center, noSkip.Model, noSkip.Center),
                Precondition.AtLeast("grid points per axis", points, 31),
                Precondition.AtLeast("examples the loss is measured on", evalSet.Count, 256),
            });
    }

    /// <summary>Center loss, edge rise and non-convex fraction of a square grid of losses z[j][i] (see the remarks).</summary>
    public static (double Center, double EdgeRise, double NonConvexFraction) Proxies(double[][] z)
    {
        int ny = z.Length, nx = z[0].Length;
        double center = z[ny / 2][nx / 2];
        var edge = new List<double>();
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                if (i == 0 || j == 0 || i == nx - 1 || j == ny - 1) edge.Add(z[j][i]);
        int interior = 0, nonConvex = 0;
        for (int j = 1; j < ny - 1; j++)
            for (int i = 1; i < nx - 1; i++)
            {
                double fxx = z[j][i + 1] - 2 * z[j][i] + z[j][i - 1];
                double fyy = z[j + 1][i] - 2 * z[j][i] + z[j - 1][i];
                double fxy = (z[j + 1][i + 1] - z[j + 1][i - 1] - z[j - 1][i + 1] + z[j - 1][i - 1]) / 4;
                double mean = (fxx + fyy) / 2, r = Math.Sqrt((fxx - fyy) * (fxx - fyy) / 4 + fxy * fxy);
                double min = mean - r, max = mean + r;
                interior++;
                if (min < -0.1 * Math.Abs(max)) nonConvex++;
            }
        return (center, edge.Average() - center, interior == 0 ? 0 : (double)nonConvex / interior);
    }
}
