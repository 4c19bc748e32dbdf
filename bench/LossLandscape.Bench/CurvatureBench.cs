using System.Diagnostics;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Spectra;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Bench;

/// <summary>
/// Curvature benchmarks, every ratio measured side by side in one run:
/// hvp (library HVP vs a hand-written double backward, and vs one gradient), memory (HVP over 60k examples at two
/// batch sizes, peak RSS), lanczos (applications for top-10 to 1e-4 relative, Lanczos vs deflated power iteration).
/// </summary>
public static class CurvatureBench
{
    public static void Run(string[] args)
    {
        var parts = args.Length == 0 ? new[] { "hvp", "memory", "lanczos" } : args;
        Console.WriteLine($"threads: {get_num_threads()}, cpu");
        if (parts.Contains("hvp")) Hvp();
        if (parts.Contains("memory")) Memory();
        if (parts.Contains("lanczos")) LanczosVsPower();
    }

    private static double Median(int reps, Action a)
    {
        a();
        a();
        var t = new List<double>();
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            a();
            t.Add(sw.Elapsed.TotalMilliseconds);
        }
        t.Sort();
        return t[t.Count / 2];
    }

    private static Tensor[] Params(nn.Module m) => m.parameters().Select(p => (Tensor)p).ToArray();

    /// <summary>The minimal hand-written HVP: grad with create_graph, dot with v, grad again.</summary>
    private static void HandHvp(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Tensor[] ps, Tensor[] vs)
    {
        using var scope = NewDisposeScope();
        var l = nn.functional.cross_entropy(model.call(x), y);
        var g = torch.autograd.grad(new[] { l }, ps, retain_graph: true, create_graph: true);
        Tensor dot = g[0].mul(vs[0]).sum();
        for (int i = 1; i < g.Count; i++) dot = dot + g[i].mul(vs[i]).sum();
        var hv = torch.autograd.grad(new[] { dot }, ps);
        _ = hv[0];
    }

    private static void HandGrad(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Tensor[] ps)
    {
        using var scope = NewDisposeScope();
        var l = nn.functional.cross_entropy(model.call(x), y);
        var g = torch.autograd.grad(new[] { l }, ps);
        _ = g[0];
    }


    private static void CompareHvp(string label, nn.Module<Tensor, Tensor> model, Dataset data, bool withGradient, int repeats)
    {
        model.eval();
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: data.Count));
        var ps = Params(model);
        manual_seed(1);
        var v = op.Space.Randn();
        var vs = op.Space.Split(v);
        // Alternate the two measurements call by call so drifts in machine load hit both alike.
        for (int i = 0; i < 2; i++) { using (NewDisposeScope()) op.Apply(v); HandHvp(model, data.Inputs, data.Labels, ps, vs); }
        // Interleaved triples (library HVP, hand-written HVP, gradient): this machine's speed drifts by 2x within
        // seconds, so only ratios within one triple are compared; the medians of those ratios are reported.
        var lib = new List<double>();
        var hand = new List<double>();
        var grad = new List<double>();
        var ratioHand = new List<double>();
        var ratioGrad = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (NewDisposeScope()) op.Apply(v);
            double tl = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            HandHvp(model, data.Inputs, data.Labels, ps, vs);
            double th = sw.Elapsed.TotalMilliseconds;
            double tg = double.NaN;
            if (withGradient)
            {
                sw.Restart();
                HandGrad(model, data.Inputs, data.Labels, ps);
                tg = sw.Elapsed.TotalMilliseconds;
                grad.Add(tg);
                ratioGrad.Add(tl / tg);
            }
            lib.Add(tl);
            hand.Add(th);
            ratioHand.Add(tl / th);
        }
        double Med(List<double> xs) { var c = xs.OrderBy(x => x).ToList(); return c[c.Count / 2]; }
        Console.WriteLine($"{label}: HVP library {Med(lib):F1} ms, hand-written {Med(hand):F1} ms, median paired ratio {Med(ratioHand):F3} (target <= 1.05)");
        if (withGradient)
            Console.WriteLine($"{label}: gradient {Med(grad):F1} ms, median paired HVP(library)/gradient {Med(ratioGrad):F2} (target <= 2.6)");
    }

    private static void Hvp()
    {
        manual_seed(0);
        using var mlp = new Mlp(new[] { 784, 500, 300, 10 });
        using var mlpData = Random(1000, new long[] { 784 }, 10);
        CompareHvp("MLP 784-500-300-10, 1000 samples, float32", mlp, mlpData, withGradient: true, repeats: 61);
        manual_seed(0);
        using var resnet = LossLandscape.Models.ModelSpec.Parse("resnet20").Create();
        using var convData = Random(128, new long[] { 3, 32, 32 }, 10);
        CompareHvp("ResNet-20 (BatchNorm in eval mode), 128 images 3x32x32, float32", resnet, convData, withGradient: false, repeats: 7);
    }

    private static Dataset Random(long n, long[] shape, int classes)
    {
        using var g = new Generator(7, CPU);
        var x = randn(new[] { n }.Concat(shape).ToArray(), generator: g);
        var y = randint(0, classes, new[] { n }, generator: g, dtype: ScalarType.Int64);
        return new Dataset("random", x, y, Enumerable.Range(0, classes).Select(i => i.ToString()).ToArray());
    }

    private static long Kb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return -1;
    }

    private static void Memory()
    {
        manual_seed(0);
        using var mlp = new Mlp(new[] { 784, 500, 300, 10 });
        mlp.eval();
        using var data = Random(60000, new long[] { 784 }, 10);
        Console.WriteLine($"memory: 60000 x 784 float32 inputs ({data.Inputs.NumberOfElements * 4 / 1048576} MiB), MLP 784-500-300-10");
        foreach (var b in new long[] { 500, 2000, 10000 }) // ascending: the allocator keeps freed blocks, so a smaller batch after a bigger one would read 0
        {
            var op = new HessianOperator(mlp, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: b));
            manual_seed(1);
            using var v = op.Space.Randn();
            GC.Collect();
            File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM (peak RSS) to the current RSS
            long before = Kb("VmRSS");
            var sw = Stopwatch.StartNew();
            using (var hv = op.Apply(v)) { }
            double s = sw.Elapsed.TotalSeconds;
            long peak = Kb("VmHWM");
            Console.WriteLine($"memory: batch {b,5}: one HVP over 60000 examples {s:F1} s, peak RSS above start {(peak - before) / 1024.0:F0} MiB");
        }
    }

    private static void LanczosVsPower()
    {
        manual_seed(0);
        using var mlp = new Mlp(new[] { 784, 40, 10 });
        mlp.to(ScalarType.Float64);
        using var raw = Random(1000, new long[] { 784 }, 10);
        using var data = new Dataset("random64", raw.Inputs.to(ScalarType.Float64), raw.Labels.clone(), raw.ClassNames);
        // The Gauss-Newton matrix is positive semi-definite, so its top-10 by value (Lanczos) and by magnitude (power
        // iteration) are the same ten eigenvalues; the Hessian at this point has negative eigenvalues of comparable size.
        var op = new GaussNewtonOperator(mlp, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 1000));
        Console.WriteLine($"lanczos vs power: Gauss-Newton matrix of MLP 784-40-10 ({op.Dimension} parameters), 1000 samples, float64, top-10 to 1e-4 relative");
        var reference = Lanczos.Run(op, new LanczosOptions(Top: 10, Tolerance: 1e-12, MaxIterations: 400)).Eigenvalues;
        Console.WriteLine($"reference top-10: {string.Join(", ", reference.Select(x => x.ToString("G6")))}");
        bool Accurate(double[] values) =>
            values.Length >= 10 && values.OrderByDescending(x => x).Zip(reference, (a, r) => Math.Abs(a - r) <= 1e-4 * Math.Abs(r)).All(ok => ok);

        int firstAccurate = -1;
        var progress = new SyncProgress<EigenProgress>(p =>
        {
            if (firstAccurate < 0 && Accurate(p.Top)) firstAccurate = p.Iteration;
        });
        var run = Lanczos.Run(op, new LanczosOptions(Top: 10, Tolerance: 1e-6, MaxIterations: 400, Seed: 1), progress);
        Console.WriteLine($"lanczos: top-10 within 1e-4 after {firstAccurate} applications; its own stopping rule (tol 1e-6) stopped after {run.Applications}, accurate: {Accurate(run.Eigenvalues)}");

        long powerApps = -1;
        foreach (var tol in new[] { 1e-4, 1e-5, 1e-6, 1e-7 })
        {
            var p = PowerIteration.Run(op, new PowerIterationOptions(Top: 10, Tolerance: tol, MaxIterations: 5000, Seed: 1));
            bool ok = Accurate(p.Eigenvalues);
            Console.WriteLine($"power: tol {tol:G2}: {p.Applications} applications, accurate: {ok}");
            if (ok)
            {
                powerApps = p.Applications;
                break;
            }
        }
        if (powerApps > 0 && firstAccurate > 0)
            Console.WriteLine($"lanczos/power applications: {(double)firstAccurate / powerApps:F3} (lanczos with its stopping rule: {(double)run.Applications / powerApps:F3})");
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
