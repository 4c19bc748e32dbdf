using System.Diagnostics;
using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Specs;
using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Bench;

/// <summary>
/// <c>train [--steps N] [--warmup W] [--threads T] [--cases mlp,resnet20,resnet56]</c>: time per update of
/// <see cref="Trainer"/> against a minimal hand-written TorchSharp loop (index_select a batch from a per-epoch
/// permutation, forward, cross-entropy, optimizer zero_grad, backward, torch.optim.SGD step with momentum 0.9,
/// loss.item) on the same model, data and batch size. The two are interleaved step by step in one process (the hand
/// step runs inside the trainer's progress callback), so both see the same machine load; medians of the per-step times
/// are compared (ratio = hand ms / trainer ms, above 1 means the trainer is faster). Then ResNet-56 training
/// throughput in images per second. Float32, CPU.
/// </summary>
public static class TrainBench
{
    /// <summary>Runs the benchmark; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int steps = Arg(args, "--steps", 40), warmup = Arg(args, "--warmup", 3);
        int threads = Arg(args, "--threads", 0);
        if (threads > 0) set_num_threads(threads);
        // --retain: the allocator keeps freed memory, as llscape and the figures program set it (process-wide).
        bool retained = args.Contains("--retain") && LossLandscape.Runtime.TorchRuntime.RetainFreedHostMemory();
        int at = Array.IndexOf(args, "--cases");
        var cases = at >= 0 && at + 1 < args.Length ? args[at + 1].Split(',') : new[] { "mlp", "resnet20", "resnet56" };
        Console.WriteLine($"train benchmark: {get_num_threads()} threads, float32, CPU, {(retained ? "allocator keeps freed memory" : "glibc allocator defaults")}; medians over interleaved steps after {warmup} warm-up steps");
        Console.WriteLine($"{"case",-34} {"steps",6} {"hand loop ms/step",18} {"trainer ms/step",16} {"speed ratio",12}");
        if (cases.Contains("mlp"))
            Compare("MLP 784-500-300-10, batch 128", "mlp:784-500-300-10", new long[] { 784 }, 128, steps * 5, warmup);
        if (cases.Contains("resnet20"))
            Compare("ResNet-20, batch 128 of 3x32x32", "resnet20", new long[] { 3, 32, 32 }, 128, Math.Max(5, steps / 2), warmup);
        if (cases.Contains("resnet56"))
        {
            var (_, ours) = Interleaved("resnet56", new long[] { 3, 32, 32 }, 128, Math.Max(3, steps / 8), 1, hand: false);
            double ms = Median(ours);
            Console.WriteLine($"ResNet-56 training (trainer), batch 128 of 3x32x32: {ms.ToString("F0", CultureInfo.InvariantCulture)} ms/step, {(128 / (ms / 1000)).ToString("F1", CultureInfo.InvariantCulture)} images/s");
        }
        return 0;
    }

    private static void Compare(string name, string spec, long[] shape, int batch, int steps, int warmup)
    {
        var (hand, ours) = Interleaved(spec, shape, batch, steps, warmup, hand: true);
        double h = Median(hand), t = Median(ours);
        Console.WriteLine($"{name,-34} {steps,6} {h,18:F2} {t,16:F2} {h / t,11:F3}x");
    }

    private static Dataset Data(long[] shape, int batch, ulong seed)
    {
        long p = (long)batch * 40;
        using var g = new Generator(seed);
        var x = randn(new[] { p }.Concat(shape).ToArray(), generator: g);
        var y = randint(0, 10, new[] { p }, generator: g);
        return new Dataset("random", x, y, Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Per-step milliseconds of the hand loop and of the trainer, interleaved step by step.</summary>
    private static (List<double> Hand, List<double> Trainer) Interleaved(string spec, long[] shape, int batch, int steps, int warmup, bool hand)
    {
        using var handData = Data(shape, batch, 1);
        using var trainData = Data(shape, batch, 2);
        manual_seed(0);
        using var handModel = LossLandscape.Specs.ModelSpec.Parse(spec).Create(shape, 10);
        handModel.train();
        using var opt = optim.SGD(handModel.parameters(), 0.01, momentum: 0.9);
        long perEpoch = handData.Count / batch;
        Tensor? perm = null;
        long handStep = 0;
        void HandStep()
        {
            if (handStep % perEpoch == 0)
            {
                perm?.Dispose();
                perm = randperm(handData.Count);
            }
            using var scope = NewDisposeScope();
            var idx = perm!.narrow(0, handStep % perEpoch * batch, batch);
            var x = handData.Inputs.index_select(0, idx);
            var y = handData.Labels.index_select(0, idx);
            var loss = nn.functional.cross_entropy(handModel.call(x), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
            loss.item<float>();
            handStep++;
        }

        var options = new TrainingOptions
        {
            BatchSize = batch, Steps = warmup + steps + 1, LearningRate = 0.01, Momentum = 0.9, EvalSubset = 16, ChunkSize = 256,
        };
        using var model = new TrainingRun(spec, options) { Data = "random" }.CreateModel(shape, 10, CPU);
        using var trainer = new Trainer(model, trainData, null, options);
        var handTimes = new List<double>();
        var trainerTimes = new List<double>();
        var sw = Stopwatch.StartNew();
        double lastExit = 0;
        trainer.Run(new Callback(p =>
        {
            double now = sw.Elapsed.TotalMilliseconds;
            if (p.Step > warmup && p.Step <= warmup + steps) trainerTimes.Add(now - lastExit);
            if (hand && p.Step <= warmup + steps)
            {
                double start = sw.Elapsed.TotalMilliseconds;
                HandStep();
                if (p.Step > warmup) handTimes.Add(sw.Elapsed.TotalMilliseconds - start);
            }
            lastExit = sw.Elapsed.TotalMilliseconds;
        }));
        perm?.Dispose();
        return (handTimes, trainerTimes);
    }

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    private sealed class Callback(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
