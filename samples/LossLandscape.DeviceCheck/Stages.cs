using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LossLandscape.Checkpoints;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Runtime;
using LossLandscape.Training;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.DeviceCheck;

/// <summary>
/// The checks that touch Torch. Each runs in its own process (<c>stage NAME</c>), bound first by
/// <see cref="TorchNativeBinding"/>, so that a libtorch that aborts the process (a missing symbol, a CUDA error) costs
/// that check alone and the report still says what happened.
/// </summary>
internal static class Stages
{
    /// <summary>The stage names.</summary>
    public static readonly string[] Names = { "load", "resnet", "spectrum-data" };

    private static readonly string[] Classes = Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Runs one stage; returns its JSON (with a "status" of passed, failed or unavailable).</summary>
    public static JsonObject Run(string name, bool quick, string? folder)
    {
        // Unbound, TorchSharp would fall back to copying libtorch out of a NuGet cache: a stage never runs that way.
        var binding = TorchNativeBinding.BindFromEnvironment() ?? throw new LossLandscapeException(
            $"stage {name} runs bound to a chosen libtorch: set {TorchNativeBinding.LibTorchSharpVariable} and {TorchNativeBinding.LibTorchDirVariable} (run starts the stages so).");
        if (!binding.Loaded)
            return new JsonObject { ["status"] = "failed", ["error"] = binding.Describe(), ["binding"] = binding.ToJson() };
        var result = name switch
        {
            "load" => Load(),
            "resnet" => ResNet(quick),
            "spectrum-data" => SpectrumData(folder ?? throw new LossLandscapeException("stage spectrum-data needs --folder DIR.")),
            _ => throw new LossLandscapeException($"Unknown stage '{name}': use {string.Join(", ", Names)}."),
        };
        if (name == "load" || binding.UnresolvedSymbol is not null) result["binding"] = binding.ToJson();
        return result;
    }

    /// <summary>Versions, CUDA visibility, and one small computation on each device.</summary>
    private static JsonObject Load()
    {
        var r = new JsonObject { ["torchSharpBuiltForLibtorch"] = torch.__version__ };
        using (var t = ones(3).mul(2)) r["cpuSum"] = t.sum().item<float>();
        bool cuda = TorchRuntime.CudaAvailable;
        r["cudaAvailable"] = cuda;
        bool ok = r["cpuSum"]!.GetValue<float>() == 6f;
        if (cuda)
        {
            r["cudaDeviceCount"] = torch.cuda.device_count();
            r["cudnnAvailable"] = torch.cuda.is_cudnn_available();
            r["tf32Cudnn"] = torch.backends.cudnn.allow_tf32;
            r["tf32Matmul"] = torch.backends.cuda.matmul.allow_tf32;
            using var t = ones(3, device: CUDA).mul(2);
            float s = t.sum().item<float>();
            r["cudaSum"] = s;
            ok &= s == 6f;
        }
        r["status"] = ok ? "passed" : "failed";
        return r;
    }

    private sealed record Measured(double Loss, double[] Gradient, double[] Hv, double TrainLoss, double[] Update, double Seconds);

    /// <summary>
    /// ResNet-56 on one batch, BatchNorm on batch statistics as in training: the loss, gradient and Hessian-vector
    /// product, then one SGD step (momentum 0.9, lr 0.1), in float64 and float32 on the CPU and float32 on CUDA from the same weights,
    /// batch and vector. CUDA passes when each of its results is within <see cref="Agreement.Tolerance"/> of the float32
    /// CPU result. Then, on CUDA, training throughput (the library's trainer) and the cost of an HVP against a gradient.
    /// </summary>
    private static JsonObject ResNet(bool quick)
    {
        const string spec = "resnet56";
        int batch = quick ? 2 : 32;
        var r = new JsonObject { ["model"] = spec, ["batch"] = batch };
        manual_seed(0);
        using var g = new Generator(1);
        using var x = randn(new long[] { batch, 3, 32, 32 }, generator: g);
        using var y = randint(0, 10, new long[] { batch }, generator: g);
        using var reference = ModelSpec.Parse(spec).Create();
        long n = new Parameters.ParameterSpace(reference).Count;
        r["parameters"] = n;
        using var v = randn(new[] { n }, generator: g);

        nn.Module<Tensor, Tensor> Copy(Device device, ScalarType dtype)
        {
            var m = ModelSpec.Parse(spec).Create();
            m.load_state_dict(reference.state_dict());
            m.to(dtype).to(device);
            return m;
        }

        Measured cpu64, cpu32;
        using (var m = Copy(CPU, ScalarType.Float64)) cpu64 = Measure(m, x, y, v, CPU, ScalarType.Float64);
        using (var m = Copy(CPU, ScalarType.Float32)) cpu32 = Measure(m, x, y, v, CPU, ScalarType.Float32);
        var e32 = Errors(cpu32, cpu64);
        r["cpu"] = new JsonObject
        {
            ["loss"] = cpu32.Loss,
            ["trainLoss"] = cpu32.TrainLoss,
            ["float32VsFloat64"] = ToJson(e32),
            ["seconds"] = Math.Round(cpu32.Seconds + cpu64.Seconds, 2),
        };
        if (!double.IsFinite(cpu32.Loss) || e32.Values.Any(e => !(e < 1e-2)))
        {
            r["status"] = "failed";
            r["error"] = "the float32 CPU result is not within 1e-2 of float64: the CPU computation itself is off";
            return r;
        }

        if (!TorchRuntime.CudaAvailable)
        {
            r["cuda"] = Unavailable();
            r["throughput"] = Unavailable();
            r["hvpGradientRatio"] = Unavailable();
            r["status"] = "passed";
            return r;
        }

        // Equality first with TF32 off (float32 proper), then speed with libtorch's defaults.
        bool tf32Cudnn = torch.backends.cudnn.allow_tf32, tf32Matmul = torch.backends.cuda.matmul.allow_tf32;
        torch.backends.cudnn.allow_tf32 = false;
        torch.backends.cuda.matmul.allow_tf32 = false;
        Measured gpu;
        using (var m = Copy(CUDA, ScalarType.Float32)) gpu = Measure(m, x, y, v, CUDA, ScalarType.Float32);
        torch.backends.cudnn.allow_tf32 = tf32Cudnn;
        torch.backends.cuda.matmul.allow_tf32 = tf32Matmul;
        var diff = Errors(gpu, cpu32);
        var tol = e32.ToDictionary(kv => kv.Key, kv => Agreement.Tolerance(kv.Value));
        bool pass = diff.All(kv => kv.Value <= tol[kv.Key]);
        r["cuda"] = new JsonObject
        {
            ["status"] = pass ? "passed" : "failed",
            ["tf32"] = false,
            ["loss"] = gpu.Loss,
            ["relativeDifferenceToCpuFloat32"] = ToJson(diff),
            ["tolerance"] = ToJson(tol),
            ["float32VsCpuFloat64"] = ToJson(Errors(gpu, cpu64)),
            ["seconds"] = Math.Round(gpu.Seconds, 2),
        };
        r["throughput"] = Throughput(spec, quick);
        r["hvpGradientRatio"] = HvpGradientRatio(spec, quick);
        r["status"] = pass ? "passed" : "failed";
        return r;
    }

    private static JsonObject Unavailable() => new() { ["status"] = "unavailable", ["reason"] = "CUDA is not available in this process" };

    private static Dictionary<string, double> Errors(Measured a, Measured b) => new()
    {
        ["loss"] = Agreement.Relative(a.Loss, b.Loss),
        ["gradient"] = Agreement.Relative(a.Gradient, b.Gradient),
        ["hvp"] = Agreement.Relative(a.Hv, b.Hv),
        ["trainLoss"] = Agreement.Relative(a.TrainLoss, b.TrainLoss),
        ["update"] = Agreement.Relative(a.Update, b.Update),
    };

    private static JsonObject ToJson(IReadOnlyDictionary<string, double> values)
    {
        var o = new JsonObject();
        foreach (var (k, val) in values) o[k] = val;
        return o;
    }

    private static Measured Measure(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Tensor v, Device device, ScalarType dtype)
    {
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var data = new Dataset("check", x.to(dtype).to(device).clone(), y.to(device).clone(), Classes);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: x.shape[0], BatchNorm: BatchNormMode.Train));
        var (loss, grad) = op.LossAndGradient();
        var hv = op.Apply(v.to(dtype).to(device));
        var w0 = op.Space.Get();
        model.train();
        model.zero_grad();
        var l = nn.functional.cross_entropy(model.call(data.Inputs), data.Labels);
        l.backward();
        using (var sgd = new SgdOptimizer(model, momentum: 0.9)) sgd.Step(0.1);
        double trainLoss = l.detach().to(ScalarType.Float64).cpu().item<double>();
        var update = op.Space.Get().sub(w0);
        return new Measured(loss, Host(grad), Host(hv), trainLoss, Host(update), watch.Elapsed.TotalSeconds);
    }

    private static double[] Host(Tensor t) => t.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();

    /// <summary>Images per second of the library's trainer on CUDA (batch 128, SGD with momentum), median step after warm-up.</summary>
    private static JsonObject Throughput(string spec, bool quick)
    {
        const int batch = 128;
        int warmup = 5, steps = quick ? 10 : 40;
        var options = new TrainingOptions
        {
            BatchSize = batch, Steps = warmup + steps + 1, LearningRate = 0.1, Momentum = 0.9, EvalSubset = 16, ChunkSize = 256,
        };
        using var g = new Generator(2);
        long count = batch * 8L;
        using var data = new Dataset("random", randn(new long[] { count, 3, 32, 32 }, generator: g).to(CUDA),
            randint(0, 10, new[] { count }, generator: g).to(CUDA), Classes);
        manual_seed(0);
        using var model = ModelSpec.Parse(spec).Create(new long[] { 3, 32, 32 }, 10);
        model.to(ScalarType.Float32).to(CUDA);
        using var trainer = new Trainer(model, data, null, options);
        var times = new List<double>();
        var watch = Stopwatch.StartNew();
        double last = 0;
        trainer.Run(new Progress(p =>
        {
            double now = watch.Elapsed.TotalMilliseconds;
            if (p.Step > warmup && p.Step <= warmup + steps) times.Add(now - last);
            last = now;
        }));
        double ms = Median(times);
        return new JsonObject
        {
            ["status"] = "measured",
            ["imagesPerSecond"] = Math.Round(batch / (ms / 1000), 1),
            ["medianStepMs"] = Math.Round(ms, 3),
            ["batch"] = batch,
            ["steps"] = steps,
            ["tf32Cudnn"] = torch.backends.cudnn.allow_tf32,
            ["what"] = "the library's Trainer, ResNet-56 on 3x32x32, float32, SGD momentum 0.9; time between its per-step reports (each reads the loss, so the GPU is synchronized)",
        };
    }

    /// <summary>Median time of a Hessian-vector product and of a gradient on CUDA (batch 128, BatchNorm on batch statistics) and their ratio.</summary>
    private static JsonObject HvpGradientRatio(string spec, bool quick)
    {
        const int batch = 128;
        int rounds = quick ? 5 : 15;
        manual_seed(3);
        using var model = ModelSpec.Parse(spec).Create();
        model.to(CUDA);
        using var g = new Generator(4);
        using var data = new Dataset("random", randn(new long[] { batch, 3, 32, 32 }, generator: g).to(CUDA),
            randint(0, 10, new long[] { batch }, generator: g).to(CUDA), Classes);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: batch, BatchNorm: BatchNormMode.Train));
        using var v = op.Space.Randn();
        var hvp = new List<double>();
        var grad = new List<double>();
        for (int i = 0; i < rounds + 3; i++)
        {
            var w = Stopwatch.StartNew();
            using (NewDisposeScope()) op.LossAndGradient();
            torch.cuda.synchronize();
            double gm = w.Elapsed.TotalMilliseconds;
            w.Restart();
            using (NewDisposeScope()) op.Apply(v);
            torch.cuda.synchronize();
            double hm = w.Elapsed.TotalMilliseconds;
            if (i >= 3)
            {
                grad.Add(gm);
                hvp.Add(hm);
            }
        }
        double h = Median(hvp), gr = Median(grad);
        return new JsonObject
        {
            ["status"] = "measured",
            ["hvpMs"] = Math.Round(h, 3),
            ["gradientMs"] = Math.Round(gr, 3),
            ["ratio"] = Math.Round(h / gr, 3),
            ["batch"] = batch,
            ["rounds"] = rounds,
            ["what"] = "HessianOperator.Apply against CurvatureOperator.LossAndGradient on one batch, float32, BatchNorm on batch statistics, medians after 3 warm-ups",
        };
    }

    /// <summary>Writes a small MLP's weights and a data file for the spectrum comparison.</summary>
    private static JsonObject SpectrumData(string folder)
    {
        const string spec = "mlp:20-32-32-4";
        Directory.CreateDirectory(folder);
        manual_seed(5);
        using var model = ModelSpec.Parse(spec).Create();
        var weights = Path.Combine(folder, "mlp.safetensors");
        var dataFile = Path.Combine(folder, "data.safetensors");
        Checkpoint.Save(model, weights);
        using var g = new Generator(6);
        using var x = randn(new long[] { 512, 20 }, generator: g);
        using var y = randint(0, 4, new long[] { 512 }, generator: g);
        Safetensors.Save(dataFile, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y });
        return new JsonObject { ["status"] = "passed", ["model"] = spec, ["weights"] = weights, ["data"] = dataFile, ["examples"] = 512 };
    }

    internal static double Median(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.OrderBy(t => t).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private sealed class Progress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
