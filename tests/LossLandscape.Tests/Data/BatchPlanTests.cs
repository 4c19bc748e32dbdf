using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Training;
using static LossLandscape.Tests.Training.TrainingTestUtil;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Data;

public class BatchPlanTests
{
    private static long[] Draw(BatchPlan plan, long count, long? size) => plan.Next(count, size).data<long>().ToArray();

    [Fact]
    public void Shuffled_EpochsArePermutationsCutIntoBatchesDropLast()
    {
        using var plan = BatchPlan.Shuffled(seed: 3);
        var epoch0 = Enumerable.Range(0, 3).SelectMany(_ => Draw(plan, 10, 3)).ToArray();
        epoch0.Should().OnlyHaveUniqueItems().And.HaveCount(9);
        epoch0.Should().Equal(SeedStreams.Permutation(10, 3, SeedStreams.Shuffle, 0).data<long>().Take(9));
        plan.Cursor.Epoch.Should().Be(0);
        var next = Draw(plan, 10, 3);   // one example left in epoch 0: drop-last starts epoch 1
        plan.Cursor.Epoch.Should().Be(1);
        next.Should().Equal(SeedStreams.Permutation(10, 3, SeedStreams.Shuffle, 1).data<long>().Take(3));
    }

    [Fact]
    public void APlanRestoredToItsCursorContinuesExactly()
    {
        foreach (var make in new Func<BatchPlan>[] { () => BatchPlan.Shuffled(5), () => BatchPlan.Sampled(5), BatchPlan.Sequential })
        {
            using var straight = make();
            var all = Enumerable.Range(0, 9).Select(_ => Draw(straight, 11, 4)).ToArray();
            using var first = make();
            for (int i = 0; i < 4; i++) Draw(first, 11, 4);
            using var resumed = make();
            resumed.Cursor.Epoch = first.Cursor.Epoch;
            resumed.Cursor.Position = first.Cursor.Position;
            for (int i = 4; i < 9; i++) Draw(resumed, 11, 4).Should().Equal(all[i], $"{straight.Order} batch {i}");
        }
    }

    [Fact]
    public void Sampled_BatchesAreIndependentDrawsWithoutReplacement()
    {
        using var plan = BatchPlan.Sampled(seed: 1);
        var batches = Enumerable.Range(0, 50).Select(_ => Draw(plan, 20, 6)).ToArray();
        batches.Should().AllSatisfy(b => b.Should().OnlyHaveUniqueItems().And.OnlyContain(i => i >= 0 && i < 20));
        batches.Distinct(new SequenceComparer()).Count().Should().BeGreaterThan(45, "each draw is fresh");
        // Over many draws every example is picked about 6/20 of the time.
        var counts = batches.SelectMany(b => b).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        counts.Should().HaveCount(20);
        counts.Values.Should().OnlyContain(c => c > 3 && c < 30);
    }

    [Fact]
    public void Sequential_TakesConsecutiveExamplesAndAFullBatchIsOnePass()
    {
        using var plan = BatchPlan.Sequential();
        Draw(plan, 7, 3).Should().Equal(0, 1, 2);
        Draw(plan, 7, 3).Should().Equal(3, 4, 5);
        Draw(plan, 7, 3).Should().Equal(0, 1, 2);
        Draw(plan, 7, null).Should().Equal(0, 1, 2, 3, 4, 5, 6);
    }

    [Fact]
    public void BadSizesAreRefusedWithTheLimits()
    {
        using var plan = BatchPlan.Shuffled(1);
        FluentActions.Invoking(() => plan.Next(5, 6)).Should().Throw<LossLandscapeException>().WithMessage("*Batch size 6*5 examples*1 to 5*");
        FluentActions.Invoking(() => plan.Next(0, 1)).Should().Throw<LossLandscapeException>().WithMessage("*0 examples*");
    }

    [Fact]
    public void Rebatch_RecutsASequenceOfUnevenBatchesWithTheSameExamples()
    {
        using var x = arange(10, dtype: ScalarType.Float64).reshape(10, 1);
        using var y = arange(10, dtype: ScalarType.Int64);
        var cuts = new[] { (0L, 3L), (3L, 5L), (8L, 2L) };
        var source = BatchSource.FromBatches(() => cuts.Select(c => (x.narrow(0, c.Item1, c.Item2), y.narrow(0, c.Item1, c.Item2))), 10);
        Seen(source.Rebatch(4)).Should().BeEquivalentTo(new[] { new[] { 0L, 1, 2, 3 }, new[] { 4L, 5, 6, 7 }, new[] { 8L, 9 } }, c => c.WithStrictOrdering());
        Seen(source.Rebatch(4, limit: 7)).Should().BeEquivalentTo(new[] { new[] { 0L, 1, 2, 3 }, new[] { 4L, 5, 6 } }, c => c.WithStrictOrdering());
        Seen(BatchSource.FromTensors(x, y, 3).Rebatch(4, 6)).Should().BeEquivalentTo(new[] { new[] { 0L, 1, 2, 3 }, new[] { 4L, 5 } }, c => c.WithStrictOrdering());
    }

    [Fact]
    public void Gather_PicksExamplesByIndexAndRefusesSequencesAndBadIndices()
    {
        using var x = arange(6, dtype: ScalarType.Float64).reshape(6, 1);
        using var y = arange(6, dtype: ScalarType.Int64);
        using (var idx = tensor(new long[] { 4, 1 }))
        {
            var (gx, gy) = BatchSource.FromTensors(x, y).Gather(idx);
            gy.data<long>().ToArray().Should().Equal(4, 1);
            gx.data<double>().ToArray().Should().Equal(4.0, 1.0);
        }
        using var bad = tensor(new long[] { 6 });
        FluentActions.Invoking(() => BatchSource.FromTensors(x, y).Gather(bad)).Should().Throw<LossLandscapeException>().WithMessage("*[0, 6)*got 6*");
        var seq = BatchSource.FromBatches(() => new[] { (x, y) }, 6, "loader");
        seq.IsIndexable.Should().BeFalse();
        using var ok = tensor(new long[] { 0 });
        FluentActions.Invoking(() => seq.Gather(ok)).Should().Throw<LossLandscapeException>().WithMessage("*'loader' is a sequence of batches*FromTensors*");
    }

    [Fact]
    public void Trainer_OnTheCallersTensorsMatchesTheDataSetRunBitForBit_AndTrainsARegression()
    {
        using var data = Blobs(30);
        var o = Options(12) with { Momentum = 0.9, EvalEvery = 4 };
        Tensor a;
        using (var m0 = Model(o))
        using (var t0 = new Trainer(m0, data, null, o))
        {
            t0.Run();
            a = Flat(m0);
        }
        using var _a = a;
        using (var m = Model(o))
        using (var t = new Trainer(m, BatchSource.FromTensors(data.Inputs, data.Labels, o.ChunkSize, data.Name), null, o))
        {
            t.Run();
            using var b = Flat(m);
            Same(a, b).Should().BeTrue("the same batches in the same order, whether the data come as a data set or as tensors");
        }

        // Regression: float targets and the squared error, from tensors the caller keeps.
        using var g = new Generator(4);
        using var xr = randn(new long[] { 40, 4 }, dtype: ScalarType.Float64, generator: g);
        using var w = randn(new long[] { 4, 2 }, dtype: ScalarType.Float64, generator: g);
        using var yr = xr.matmul(w);
        var ro = Options(60) with { Loss = new SquaredErrorLoss(), LearningRate = 0.05, BatchSize = 8, EvalEvery = 60 };
        using var net = new LossLandscape.Models.Mlp(new[] { 4, 8, 2 });
        net.to(ScalarType.Float64);
        using var tr = new Trainer(net, BatchSource.FromTensors(xr, yr), null, ro);
        var result = tr.Run();
        result.History[^1].TrainLoss!.Value.Should().BeLessThan(0.5 * result.History[0].TrainLoss!.Value);
    }

    [Fact]
    public void Probe_OnASequenceOfBatchesMatchesTheSameTensors()
    {
        using var data = Blobs(24);
        var o = Options(1);
        using var m = Model(o);
        var space = new LossLandscape.Parameters.ParameterSpace(m);
        using var a = ModelPoint.Capture(space);
        using var dir = randn_like(a.Theta);
        var tensors = BatchSource.FromTensors(data.Inputs, data.Labels, 10);
        var loader = BatchSource.FromBatches(() => new[] { (0L, 10L), (10L, 10L), (20L, 4L) }
            .Select(c => (data.Inputs.narrow(0, c.Item1, c.Item2), data.Labels.narrow(0, c.Item1, c.Item2))), 24, "loader");
        var alphas = new[] { -0.5, 0.0, 0.5 };
        var one = new LandscapeProbe(m, tensors, options: new ProbeOptions(), space: space).AlongDirection(a.Theta, dir, alphas);
        var two = new LandscapeProbe(m, loader, options: new ProbeOptions(), space: space).AlongDirection(a.Theta, dir, alphas);
        two.Points.Select(p => p.Loss).Should().Equal(one.Points.Select(p => p.Loss));
    }

    private static List<long[]> Seen(BatchSource source)
    {
        var seen = new List<long[]>();
        source.ForEach((_, y) => seen.Add(y.data<long>().ToArray()));
        return seen;
    }

    private sealed class SequenceComparer : IEqualityComparer<long[]>
    {
        public bool Equals(long[]? a, long[]? b) => a!.SequenceEqual(b!);
        public int GetHashCode(long[] a) => a.Aggregate(17, (h, v) => h * 31 + v.GetHashCode());
    }
}
