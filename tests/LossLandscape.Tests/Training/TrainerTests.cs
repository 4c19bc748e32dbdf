using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Training;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;
using static LossLandscape.Tests.Training.TrainingTestUtil;

namespace LossLandscape.Tests.Training;

public class TrainerTests
{
    private static Tensor TrainedWeights(TrainingOptions o, Dataset data, Dataset? test = null, string? dir = null, BatchAugmentation? aug = null, int[]? widths = null)
    {
        using var m = Model(o, widths ?? Array.Empty<int>());
        using var t = new Trainer(m, data, test, o, dir, aug);
        t.Run().Reason.Should().Be(StopReason.Completed);
        return Flat(m);
    }

    /// <summary>theta - lr * grad of the mean loss over the whole set, computed in one pass without the trainer.</summary>
    private static Tensor ManualGdStep(TrainingOptions o, Dataset data, double lr)
    {
        using var m = Model(o);
        using var loss = nn.functional.cross_entropy(m.call(data.Inputs), data.Labels);
        var grads = torch.autograd.grad(new[] { loss }, m.parameters().ToArray());
        using var g = cat(grads.Select(x => x.reshape(-1)).ToArray(), 0);
        return Flat(m) - lr * g;
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalWeights_DifferentSeedDoesNot()
    {
        using var data = Blobs(40);
        var o = Options(25) with { Momentum = 0.9, NoiseScale = 0.01, Schedule = new CosineSchedule(), EvalEvery = 5 };
        using var a = TrainedWeights(o, data);
        using var b = TrainedWeights(o, data);
        Same(a, b).Should().BeTrue();
        using var c = TrainedWeights(o with { Seed = 12 }, data);
        Same(c, a).Should().BeFalse();
    }

    [Fact]
    public void ResumedRun_EndsWithTheSameWeights_AsAnUninterruptedOne()
    {
        using var data = Blobs(23);
        using var test = Blobs(9, seed: 8);
        var o = Options(30) with
        {
            Momentum = 0.9, Nesterov = true, WeightDecay = 1e-3, NoiseScale = 0.01, Schedule = new WarmupSchedule(3, new CosineSchedule()),
            SwitchBatchSizeAt = 13, SecondBatchSize = 3, EvalEvery = 4, CheckpointEvery = 5, BatchSize = 6,
        };
        var dirA = TestUtil.TempDir();
        using var straight = TrainedWeights(o, data, test, dirA);

        var dirB = TestUtil.TempDir();
        using (var m = Model(o))
        using (var t = new Trainer(m, data, test, o, dirB))
        using (var cts = new CancellationTokenSource())
        {
            var r = t.Run(new SyncProgress(p => { if (p.Step == 17) cts.Cancel(); }), cts.Token);
            r.Reason.Should().Be(StopReason.Cancelled);
            r.Steps.Should().Be(17);
            r.Message.Should().Contain("cancelled at step 17").And.Contain("Trainer.Resume");
            Trainer.LatestCheckpoint(dirB).Should().EndWith("step-00000017");
        }
        manual_seed(999);
        using var fresh = new LossLandscape.Models.Mlp(new[] { 4, 6, 3 });
        fresh.to(ScalarType.Float64);
        using (var t = new Trainer(fresh, data, test, o, dirB))
        {
            t.Resume();
            t.Step.Should().Be(17);
            var r = t.Run();
            r.Reason.Should().Be(StopReason.Completed);
            r.Steps.Should().Be(30);
        }
        using var resumed = Flat(fresh);
        Same(resumed, straight).Should().BeTrue();

        var histA = TrainingHistory.FromJson(File.ReadAllText(Path.Combine(dirA, "history.json")));
        var histB = TrainingHistory.FromJson(File.ReadAllText(Path.Combine(dirB, "history.json")));
        histB.Select(h => (h.Step, h.BatchLoss, h.TrainLoss, h.TestAccuracy, h.BatchSize))
            .Should().Equal(histA.Select(h => (h.Step, h.BatchLoss, h.TrainLoss, h.TestAccuracy, h.BatchSize)));
        histA.Select(h => h.Step).Should().Equal(0, 4, 8, 12, 16, 20, 24, 28, 30);
        File.ReadAllLines(Path.Combine(dirA, "history.csv"))[0].Should().Be(TrainingHistory.CsvHeader);
        LoadOptions(Path.Combine(dirA, "options.json")).Should().Be(o);
        using var final = Model(o);
        Checkpoint.Load(final, Path.Combine(dirA, "model.safetensors"));
        using var finalFlat = Flat(final);
        Same(finalFlat, straight).Should().BeTrue();
    }

    [Fact]
    public void Resume_RefusesDifferentOptions()
    {
        using var data = Blobs(20);
        var o = Options(6) with { CheckpointEvery = 3 };
        var dir = TestUtil.TempDir();
        TrainedWeights(o, data, dir: dir).Dispose();
        using var m = Model(o);
        using var t = new Trainer(m, data, null, o with { LearningRate = 0.2, Steps = 10 }, dir);
        var act = () => t.Resume();
        act.Should().Throw<LossLandscapeException>().WithMessage("*different options*learningRate: checkpoint 0.1, now 0.2*");
        using var t2 = new Trainer(m, data, null, o, TestUtil.TempDir());
        var none = () => t2.Resume();
        none.Should().Throw<LossLandscapeException>().WithMessage("*has no checkpoint to resume from*");
    }

    [Fact]
    public void FullBatch_UsesEverySampleEachStep_WithChunkWeighting()
    {
        using var data = Blobs(10);
        var o = Options(1) with { FullBatch = true, ChunkSize = 3, LearningRate = 0.5 };
        using var expected = ManualGdStep(o, data, 0.5);
        using var got = TrainedWeights(o, data);
        got.allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue();
        using var oneChunk = TrainedWeights(o with { ChunkSize = 10 }, data);
        oneChunk.allclose(got, rtol: 0, atol: 1e-14).Should().BeTrue();
        using var minibatch = TrainedWeights(o with { FullBatch = false, BatchSize = 9 }, data);
        minibatch.allclose(expected, rtol: 0, atol: 1e-6).Should().BeFalse("a batch of 9 of the 10 examples gives another gradient");
    }

    [Fact]
    public void WeightDecay_ChangesTheStepByMinusLrLambdaW_AndNothingElse()
    {
        using var data = Blobs(10);
        var o = Options(1) with { FullBatch = true, LearningRate = 0.5 };
        using var w0 = Flat(Model(o));
        using var plain = TrainedWeights(o, data);
        using var decayed = TrainedWeights(o with { WeightDecay = 0.3 }, data);
        (decayed - plain).allclose(-0.5 * 0.3 * w0, rtol: 0, atol: 1e-14).Should().BeTrue();
    }

    [Fact]
    public void Momentum_LeavesTheFirstStepAlone_AndAddsMuTimesTheFirstGradientToTheSecond()
    {
        using var data = Blobs(10);
        var o = Options(1) with { FullBatch = true, LearningRate = 0.5 };
        using var w0 = Flat(Model(o));
        using var plain1 = TrainedWeights(o, data);
        using var heavy1 = TrainedWeights(o with { Momentum = 0.9 }, data);
        Same(heavy1, plain1).Should().BeTrue("b = g on the first step");
        // Second step: heavy ball moves by -lr (g1 + mu g0); plain GD by -lr g1 from the same point after step 1.
        using var heavy2 = TrainedWeights(o with { Momentum = 0.9, Steps = 2 }, data);
        using var plain2 = TrainedWeights(o with { Steps = 2 }, data);
        using var g0 = (w0 - plain1) / 0.5;
        (heavy2 - plain2).allclose(-0.5 * 0.9 * g0, rtol: 0, atol: 1e-13).Should().BeTrue();
    }

    [Fact]
    public void Noise_HasTheRequestedScale()
    {
        using var data = Blobs(10);
        var o = Options(1) with { FullBatch = true, LearningRate = 1 };
        int[] wide = { 4, 200, 3 };
        using var plain = TrainedWeights(o, data, widths: wide);
        using var noisy = TrainedWeights(o with { NoiseScale = 0.5 }, data, widths: wide);
        using var xi = plain - noisy; // = lr * sigma * xi
        long m = xi.numel();
        m.Should().Be(4 * 200 + 200 + 200 * 3 + 3);
        double std = xi.std().item<double>();
        double mean = xi.mean().item<double>();
        std.Should().BeApproximately(0.5, 0.5 * 0.06);
        Math.Abs(mean).Should().BeLessThan(4 * 0.5 / Math.Sqrt(m));
    }

    [Fact]
    public void Augmentation_IsAppliedToTrainingBatches_AndBatchSizeSwitches()
    {
        using var data = Blobs(20);
        var sizes = new List<long>();
        Tensor Hook(Tensor x, Generator g) { sizes.Add(x.shape[0]); return x * 1.5; }
        var o = Options(5) with { BatchSize = 8, SwitchBatchSizeAt = 3, SecondBatchSize = 2 };
        using var on = TrainedWeights(o, data, aug: Hook);
        sizes.Should().Equal(8, 8, 8, 2, 2);
        using var none = TrainedWeights(o, data);
        Same(on, none).Should().BeFalse();
    }

    [Fact]
    public void RandomAugmentation_DrawsFromItsOwnGenerator_NotTheGlobalOne()
    {
        using var data = Blobs(20);
        static Tensor Jitter(Tensor x, Generator g) => x + 0.1 * randn(x.shape, dtype: x.dtype, generator: g);
        var o = Options(6) with { BatchSize = 4 };
        manual_seed(5);
        using var expected = rand(3);
        using (var m = Model(o))
        using (var t = new Trainer(m, data, null, o, null, Jitter))
        {
            manual_seed(5);
            t.Run().Reason.Should().Be(StopReason.Completed);
            using var after = rand(3);
            Same(after, expected).Should().BeTrue("training draws nothing from Torch's global generator");
        }
        using var a = TrainedWeights(o, data, aug: Jitter);
        using var b = TrainedWeights(o, data, aug: Jitter);
        Same(a, b).Should().BeTrue("the augmentation's draws come from (seed, step)");
        using var c = TrainedWeights(o with { Seed = 3 }, data, aug: Jitter);
        Same(a, c).Should().BeFalse();
        using var fullA = TrainedWeights(o with { FullBatch = true, ChunkSize = 7 }, data, aug: Jitter);
        using var fullB = TrainedWeights(o with { FullBatch = true, ChunkSize = 7 }, data, aug: Jitter);
        Same(fullA, fullB).Should().BeTrue();
    }

    [Fact]
    public void Epochs_AreConvertedToSteps_WithDropLastBatching()
    {
        var o = Options() with { Steps = null, Epochs = 2, BatchSize = 3 };
        o.TotalSteps(10).Should().Be(6);
        (o with { FullBatch = true }).TotalSteps(10).Should().Be(2);
        (o with { SwitchBatchSizeAt = 2, SecondBatchSize = 5 }).TotalSteps(10).Should().Be(2 + 0 + 2);
        (o with { FullBatch = true, Epochs = 3, SwitchBatchSizeAt = 1, SecondBatchSize = 5 }).TotalSteps(10).Should().Be(1 + 2 + 2);

        using var data = Blobs(10);
        var seen = new List<long>();
        Tensor Hook(Tensor x, Generator g) { seen.AddRange(x.select(1, 0).data<double>().Select(v => (long)BitConverter.DoubleToInt64Bits(v))); return x; }
        TrainedWeights(o with { Epochs = 1 }, data, aug: Hook).Dispose();
        seen.Should().HaveCount(9).And.OnlyHaveUniqueItems("one epoch draws each example at most once");
    }

    [Fact]
    public void NonFiniteLoss_StopsAndKeepsTheLastGoodCheckpoint()
    {
        using var data = Blobs(20);
        int calls = 0;
        Tensor Hook(Tensor x, Generator g) => ++calls == 6 ? x * double.NaN : x;
        var o = Options(10) with { CheckpointEvery = 2 };
        var dir = TestUtil.TempDir();
        using var m = Model(o);
        using var t = new Trainer(m, data, null, o, dir, Hook);
        var r = t.Run();
        r.Reason.Should().Be(StopReason.Diverged);
        r.Steps.Should().Be(5);
        r.Message.Should().Contain("became NaN at step 5").And.Contain("step-00000004").And.Contain("Lower the learning rate");
        Trainer.LatestCheckpoint(dir).Should().EndWith("step-00000004");
        using var check = Model(o);
        Checkpoint.Load(check, Path.Combine(dir, "checkpoints", "step-00000004", "model.safetensors"));
        using var weights = Flat(m);
        isfinite(weights).all().item<bool>().Should().BeTrue("the NaN step was not applied");
        File.ReadAllText(Path.Combine(dir, "history.csv")).Should().Contain("NaN");
    }

    [Fact]
    public void HundredSteps_LeaveNoTensorsBehind()
    {
        using var data = Blobs(30);
        using var test = Blobs(10, seed: 9);
        var o = Options(110) with { Momentum = 0.9, NoiseScale = 0.01, EvalEvery = 10, EvalSubset = 15, WeightDecay = 1e-4 };
        using var m = Model(o);
        using var t = new Trainer(m, data, test, o);
        long at10 = -1, at110 = -1;
        t.Run(new SyncProgress(p =>
        {
            if (p.Step == 10) at10 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            if (p.Step == 110) at110 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }));
        at10.Should().BeGreaterThan(0);
        at110.Should().Be(at10);
    }

    [Fact]
    public void Options_RoundTripThroughJson_AndValidate()
    {
        var o = Options() with { Schedule = ScheduleSpec.Parse("warmup:5+step:10,20:0.1"), Loss = new LossLandscape.Losses.SquaredErrorLoss(), SwitchBatchSizeAt = 4, SecondBatchSize = 2, EvalSubset = 100, Threads = 2 };
        var back = TrainingOptions.FromJson(o.ToJson(), LossSpec.Parse, ScheduleSpec.Parse);
        back.Should().Be(o);
        o.ToJson().Should().Contain("\"schedule\": \"warmup:5+step:10,20:0.1\"").And.Contain("\"loss\": \"mse\"");
        var both = () => (o with { Epochs = 3 }).Validate(100);
        both.Should().Throw<LossLandscapeException>().WithMessage("*exactly one*TrainingOptions.Steps or TrainingOptions.Epochs*");
        var batch = () => (o with { BatchSize = 500 }).Validate(100);
        batch.Should().Throw<LossLandscapeException>().WithMessage("*Batch size 500*1 to 100*");
        var half = () => (o with { SecondBatchSize = null }).Validate(100);
        half.Should().Throw<LossLandscapeException>().WithMessage("*needs both*");
        var lr = () => (o with { LearningRate = 0 }).Validate(100);
        lr.Should().Throw<LossLandscapeException>().WithMessage("*Learning rate 0*");
    }

    [Fact]
    public void Trainer_RefusesModelAndDataOfDifferentDtypes()
    {
        using var data = Blobs(10);
        var o = Options();
        using var m = Model(o);
        m.to(ScalarType.Float32);
        var act = () => new Trainer(m, data, null, o);
        act.Should().Throw<LossLandscapeException>().WithMessage("*Float64*Float32*convert*");
    }

    [Fact]
    public void Threads_AppliesWhileTheRunLasts_AndIsPutBack()
    {
        using var data = Blobs(20);
        int before = get_num_threads();
        int wanted = before == 1 ? 2 : 1;
        var o = Options(4) with { Threads = wanted };
        using var m = Model(o);
        using var t = new Trainer(m, data, null, o);
        var seen = new List<int>();
        t.Run(new SyncProgress(_ => seen.Add(get_num_threads()))).Reason.Should().Be(StopReason.Completed);
        seen.Should().NotBeEmpty().And.OnlyContain(n => n == wanted);
        get_num_threads().Should().Be(before);
    }

    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
