using System.Globalization;
using LossLandscape.Plotting;

namespace LossLandscape.Figures;

/// <summary>
/// Figure E (slide 15): the GD vs SGD experiment of figure D with only 5 hidden neurons (784-5-10), over several seeds:
/// the final costs spread widely from seed to seed, unlike those of the wide net.
/// </summary>
/// <remarks>
/// Spread of the final training costs c_1..c_S over S seeds: standard deviation sqrt(sum (c_s - mean)^2 / (S - 1)) and
/// range max - min. The wide net 784-500-300-10 is trained with SGD only on the same data, steps and learning rate over
/// three seeds, for comparison. Full preset: MNIST, 60k training images, 50k updates, lr 0.1, batch 100, 10 seeds (wide:
/// 3). Quick: 1000 Fashion-MNIST training images, 400 updates, 5 seeds. Smoke: 300 images, 120 updates, 3 seeds, the
/// wide net narrowed to 784-50-30-10.
/// </remarks>
public sealed class FigureE : Figure
{
    /// <inheritdoc />
    public override string Id => "E";

    /// <inheritdoc />
    public override string Title => "GD vs SGD with 5 hidden neurons (784-5-10): final costs spread widely over seeds";

    /// <inheritdoc />
    public override string Slides => "15";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        using var loaded = context.LoadData("mnist");
        // Medium: a full-batch step reads the whole training set, so GD's cost is examples x steps x 10 seeds: 10k x 3000
        // fits the 15 minutes (20k x 5000 took about 3 minutes per GD run on 2 cores, over an hour in all).
        long trainCount = context.Pick(300L, 1000L, 10000L, loaded.Train.Count);
        long steps = context.Pick(120L, 400L, 3000L, 50000L);
        int seeds = context.Pick(3, 5, 10, 10);
        int wideSeeds = 3;
        const string narrow = "mlp:784-5-10";
        string wide = context.Pick("mlp:784-50-30-10", "mlp:784-500-300-10", "mlp:784-500-300-10");
        using var train = trainCount < loaded.Train.Count ? loaded.Train.BalancedSubset(trainCount, context.Seed) : loaded.Train.Take(loaded.Train.Count);
        var evalSubset = context.Pick<long?>(1000, 2000, null, null);
        var narrowSetup = new GdSgdSetup(narrow, steps, 0.1, 100, evalSubset);
        var wideSetup = narrowSetup with { Model = wide };

        var runs = new List<GdSgdRun>();
        for (int s = 0; s < seeds; s++)
        {
            runs.Add(GdSgdSetup.Train(context, narrowSetup, train, loaded.Test, fullBatch: true, context.Seed + s));
            runs.Add(GdSgdSetup.Train(context, narrowSetup, train, loaded.Test, fullBatch: false, context.Seed + s));
        }
        for (int s = 0; s < wideSeeds; s++)
            runs.Add(GdSgdSetup.Train(context, wideSetup, train, loaded.Test, fullBatch: false, context.Seed + s));
        GdSgdSetup.WriteCurves(context, "curves.csv", runs);

        var groups = new (string Label, List<GdSgdRun> Runs)[]
        {
            ($"GD, {narrow}", runs.Where(r => r.Model == narrow && r.FullBatch).ToList()),
            ($"SGD, {narrow}", runs.Where(r => r.Model == narrow && !r.FullBatch).ToList()),
            ($"SGD, {wide}", runs.Where(r => r.Model == wide).ToList()),
        };
        var spread = groups.Select(g => (g.Label, Stats: Spread(g.Runs.Select(r => r.FinalTrainCost).ToArray()))).ToList();

        // Final training cost per seed (the spread), and every cost curve of the narrow net.
        Charts.Lines(groups.Select((g, i) => new Series(g.Label, g.Runs.Select(r => (double)(r.Seed - context.Seed)).ToArray(),
                g.Runs.Select(r => r.FinalTrainCost).ToArray(), Markers: true, Color: i)).ToList(),
            new ChartOptions(context.PlotTitle($"final training cost by seed, {steps} steps, lr 0.1"), "seed", "final training cost (log scale)", LogY: true),
            context.PathOf("final-costs.png"), context.PathOf("final-costs.svg"));
        var curves = new List<Series>();
        foreach (var r in runs.Where(r => r.Model == narrow))
            curves.Add(new Series(r.Seed == context.Seed ? $"{r.Method} train (one curve per seed)" : "", r.History.Select(h => (double)h.Step).ToArray(),
                r.History.Select(h => h.TrainLoss ?? double.NaN).ToArray(), Dashed: !r.FullBatch, Color: r.FullBatch ? 0 : 1));
        Charts.Lines(curves, new ChartOptions(context.PlotTitle($"{narrow}: training cost vs step, {seeds} seeds (GD solid, SGD dashed)"), "step", "cost (log scale)", LogY: true),
            context.PathOf("cost.png"), context.PathOf("cost.svg"));

        context.WriteJson("summary.json", new
        {
            data = context.DataName,
            trainExamples = train.Count,
            steps,
            seeds,
            wideSeeds,
            groups = spread.Select((s, i) => new
            {
                group = s.Label,
                finalTrainCosts = groups[i].Runs.Select(r => r.FinalTrainCost).ToArray(),
                testMistakes = groups[i].Runs.Select(r => r.TestMistakes).ToArray(),
                mean = s.Stats.Mean,
                std = s.Stats.Std,
                range = s.Stats.Range,
            }),
        });

        var narrowMinRange = Math.Min(spread[0].Stats.Range, spread[1].Stats.Range);
        bool claim = narrowMinRange > spread[2].Stats.Range;
        string F(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        var numbers = new List<(string, string, string?)>
        {
            ("setting", $"{train.Count} train, {steps} steps, lr 0.1, SGD batch 100; {seeds} seeds (wide net: {wideSeeds}, SGD only)", "MNIST, 784-5-10, GD and SGD over several seeds"),
        };
        foreach (var (label, st) in spread)
            numbers.Add(($"final train cost, {label}: mean / std / range", $"{F(st.Mean)} / {F(st.Std)} / {F(st.Range)} ({F(st.Min)} to {F(st.Max)})", label.Contains(narrow, StringComparison.Ordinal) ? "spread widely" : "concentrated"));
        numbers.Add(("test mistakes by seed: GD / SGD (784-5-10)", $"{string.Join(", ", groups[0].Runs.Select(r => r.TestMistakes))} / {string.Join(", ", groups[1].Runs.Select(r => r.TestMistakes))} of {loaded.Test.Count}", null));
        // The spread of final costs is the spread of converged runs: the wide net must have been trained, and a range
        // needs several seeds.
        return new FigureOutcome(claim, $"the final training costs of the 5-neuron net spread more over seeds (range) than those of the wide net {wide}, for GD and for SGD", numbers,
            new[]
            {
                Precondition.AllAtMost($"final train cost of {wide}", groups[2].Runs.Select(r => ($"seed {r.Seed}", r.FinalTrainCost)), 0.3),
                Precondition.AtLeast("seeds of the narrow net", seeds, 5),
            });
    }

    private static (double Mean, double Std, double Range, double Min, double Max) Spread(double[] c)
    {
        double mean = c.Average();
        double std = c.Length > 1 ? Math.Sqrt(c.Sum(v => (v - mean) * (v - mean)) / (c.Length - 1)) : 0;
        return (mean, std, c.Max() - c.Min(), c.Min(), c.Max());
    }
}
