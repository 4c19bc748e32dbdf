using System.Globalization;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Permutations;
using LossLandscape.Plotting;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure N, after permutation alignment: the same barriers once the second net of every pair has its hidden units
/// permuted into correspondence with the first by weight matching (Ainsworth, Hayase and Srinivasa 2023, "Git Re-Basin";
/// Entezari et al. 2022 conjecture that, modulo permutations, SGD solutions lie in one basin).
/// </summary>
/// <remarks>
/// The permuted net computes exactly the same function, so the end points of every line keep their losses; only the
/// line between them changes. Barriers use the figure's definition (max over the line minus the higher end).
/// </remarks>
public sealed partial class FigureN
{
    /// <summary>The pairwise barriers after aligning solution j to solution i (i &lt; j), on the probe's data.</summary>
    private static (double[,] TestError, double[,] Ce) AlignedBarriers(FigureContext context, Func<nn.Module<Tensor, Tensor>> create, IReadOnlyList<Tensor> thetas,
        LandscapeProbe probe, double[] alphas, string[] labels, string model)
    {
        int n = thetas.Count;
        var testErr = new double[n, n];
        var ce = new double[n, n];
        using var reference = create();
        using var other = create();
        var sr = new ParameterSpace(reference);
        var so = new ParameterSpace(other);
        var rows = new List<IReadOnlyList<object>>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                sr.Set(thetas[i]);
                so.Set(thetas[j]);
                ModelAlignment.Align(reference, other).ApplyTo(other);
                using var aligned = so.Get();
                var p = probe.Interpolate(new ModelPoint(thetas[i]), new ModelPoint(aligned), alphas).Points;
                testErr[i, j] = testErr[j, i] = Barrier(p.Select(q => 1 - (q.TestAccuracy ?? double.NaN)).ToArray());
                ce[i, j] = ce[j, i] = Barrier(p.Select(q => q.Loss).ToArray());
                rows.Add(new object[] { labels[i], labels[j], testErr[i, j], ce[i, j] });
            }
        context.WriteCsv("barriers-aligned.csv", new[] { "a", "b", "test_error_barrier_aligned", "train_ce_barrier_aligned" }, rows);
        Charts.Matrix(Percent(testErr), labels, labels,
            new ChartOptions(context.PlotTitle($"test-error barrier (pp) after weight matching (Git Re-Basin), {model}"), Width: 1000, Height: 750),
            context.PathOf("barrier-matrix-aligned.png"), context.PathOf("barrier-matrix-aligned.svg"));
        return (testErr, ce);
    }

    /// <summary>Aligns <paramref name="b"/> (permuted in place) to <paramref name="a"/> and measures the line from <paramref name="ta"/> to it.</summary>
    private static (double Ce, double TestErr) AlignedSeedBarrier(LandscapeProbe probe, nn.Module<Tensor, Tensor> a, nn.Module<Tensor, Tensor> b, Tensor ta, double[] alphas)
    {
        ModelAlignment.Align(a, b).ApplyTo(b);
        using var tb = new ParameterSpace(b).Get();
        var p = probe.Interpolate(new ModelPoint(ta), new ModelPoint(tb), alphas).Points;
        return (Barrier(p.Select(q => q.Loss).ToArray()), Barrier(p.Select(q => 1 - (q.TestAccuracy ?? double.NaN)).ToArray()));
    }

    /// <summary>
    /// Writes the width sweep after alignment beside the one before, and the alignment summary; returns whether
    /// alignment lowered the CE barrier between the two SGD seeds and for the widest net, and the rows for the summary.
    /// </summary>
    private static (bool Holds, IReadOnlyList<(string, string, string?)> Rows) WriteAlignment(FigureContext context, string[] labels, double[,] testErr, double[,] ce,
        (double[,] TestError, double[,] Ce) aligned, IReadOnlyList<(int Width, long Parameters, double Ce, double TestErr)> sweep, IReadOnlyList<(double Ce, double TestErr)> alignedSweep)
    {
        int other = labels.Length - 1;
        context.WriteCsv("width-sweep-aligned.csv", new[] { "hidden_width", "parameters", "train_ce_barrier", "train_ce_barrier_aligned", "test_error_barrier", "test_error_barrier_aligned" },
            sweep.Select((s, k) => (IReadOnlyList<object>)new object[] { s.Width, s.Parameters, s.Ce, alignedSweep[k].Ce, s.TestErr, alignedSweep[k].TestErr }));
        var m = sweep.Select(s => (double)s.Parameters).ToArray();
        Charts.Lines(new[]
        {
            new Series("train CE barrier, before alignment", m, sweep.Select(s => s.Ce).ToArray(), Color: 3),
            new Series("train CE barrier, after weight matching", m, alignedSweep.Select(s => s.Ce).ToArray(), Color: 0),
            new Series("test error barrier, before (right)", m, sweep.Select(s => s.TestErr).ToArray(), Dashed: true, RightAxis: true, Color: 3),
            new Series("test error barrier, after (right)", m, alignedSweep.Select(s => s.TestErr).ToArray(), Dashed: true, RightAxis: true, Color: 0),
        }, new ChartOptions(context.PlotTitle("barrier between two seeds vs number of parameters M, before and after alignment"), "number of parameters M", "CE barrier", LogX: true, RightLabel: "error barrier (fraction)"),
            context.PathOf("barrier-vs-parameters-aligned.png"), context.PathOf("barrier-vs-parameters-aligned.svg"));
        context.WriteJson("alignment.json", new
        {
            method = "weight matching (Ainsworth et al. 2023), second net of each pair permuted to the first",
            barrierDefinition = "max over the line minus the higher end",
            labels,
            testErrorBarriersBefore = ToRows(testErr),
            testErrorBarriersAligned = ToRows(aligned.TestError),
            trainCeBarriersBefore = ToRows(ce),
            trainCeBarriersAligned = ToRows(aligned.Ce),
            widthSweep = sweep.Select((s, k) => new { s.Width, s.Parameters, trainCeBarrier = s.Ce, trainCeBarrierAligned = alignedSweep[k].Ce, testErrorBarrier = s.TestErr, testErrorBarrierAligned = alignedSweep[k].TestErr }),
        });
        bool holds = aligned.Ce[0, other] < ce[0, other] && alignedSweep[^1].Ce < sweep[^1].Ce;
        var inv = CultureInfo.InvariantCulture;
        return (holds, new (string, string, string?)[]
        {
            ("seeds: CE / test-error barrier before -> after alignment",
                $"{ce[0, other].ToString("F3", inv)} -> {aligned.Ce[0, other].ToString("F3", inv)} / {(100 * testErr[0, other]).ToString("F2", inv)} -> {(100 * aligned.TestError[0, other]).ToString("F2", inv)} pp",
                "near zero after permutation (Git Re-Basin, for wide nets)"),
            ("CE barrier between seeds by width after alignment", string.Join(", ", sweep.Select((s, k) => $"{s.Width}: {s.Ce:F3} -> {alignedSweep[k].Ce:F3}")), "shrinks with width, faster than before alignment (Entezari et al.)"),
        });
    }
}
