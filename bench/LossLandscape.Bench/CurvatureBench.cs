using System.Diagnostics;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Bench;

/// <summary>
/// Curvature benchmarks, every ratio measured side by side in one run:
/// hvp (library HVP vs a hand-written double backward, and vs one gradient, with the allocator set as the library's
/// runtime sets it), hvp-glibc (the same with glibc's default allocator settings), memory (HVP over 60k examples at
/// two batch sizes, peak RSS), lanczos (applications for top-10 to 1e-4 relative, Lanczos vs deflated power iteration).
/// </summary>
/// <remarks>
/// The parts run in a fixed order (memory, lanczos, hvp-glibc, hvp): the allocator setting of hvp
/// (<see cref="LossLandscape.Runtime.TorchRuntime.RetainFreedHostMemory"/>) is process-wide and cannot be undone.
/// </remarks>
public static class CurvatureBench
{
    public static void Run(string[] args)
    {
        var known = new[] { "memory", "lanczos", "hvp-glibc", "hvp" };
        var parts = args.Length == 0 ? known : args;
        foreach (var p in parts.Where(p => !known.Contains(p)))
            throw new ArgumentException($"unknown part '{p}': use {string.Join(", ", known)}");
        Console.WriteLine($"threads: {get_num_threads()}, cpu");
        if (parts.Contains("memory")) Memory();
        if (parts.Contains("lanczos")) LanczosVsPower();
        if (parts.Contains("hvp-glibc")) Hvp("glibc default allocator");
        if (parts.Contains("hvp"))
        {
            bool retained = LossLandscape.Runtime.TorchRuntime.RetainFreedHostMemory();
            Hvp(retained ? "allocator keeps freed memory (the library runtime's default)" : "allocator setting not available here");
        }
    }

    internal static Tensor[] Params(nn.Module m) => m.parameters().Select(p => (Tensor)p).ToArray();

    /// <summary>The minimal hand-written HVP: grad with create_graph, dot with v, grad again.</summary>
    internal static void HandHvp(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Tensor[] ps, Tensor[] vs)
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


    private static void CompareHvp(string label, nn.Module<Tensor, Tensor> model, Dataset data, bool withGradient, int rounds, int block)
    {
        model.eval();
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: data.Count));
        var ps = Params(model);
        manual_seed(1);
        var v = op.Space.Randn();
        var vs = op.Space.Split(v);
        var contenders = new List<(string Name, Action Run)>
        {
            ("library", () => { using (NewDisposeScope()) op.Apply(v); }),
            ("hand", () => HandHvp(model, data.Inputs, data.Labels, ps, vs)),
        };
        if (withGradient) contenders.Add(("gradient", () => HandGrad(model, data.Inputs, data.Labels, ps)));
        foreach (var (_, run) in contenders) { run(); run(); }
        // Rounds of one block per contender: a block is `block` back-to-back calls (as in Lanczos or training, so the
        // allocator sees its steady state) and reads as its median. The contenders' order rotates from round to round,
        // so none is always first after another's allocations, and only ratios within one round are compared (this
        // machine's speed drifts by 2x within seconds); the medians of those ratios are reported.
        var times = contenders.Select(_ => new List<double>()).ToArray();
        var ratioHand = new List<double>();
        var ratioGrad = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var ms = new double[contenders.Count];
            for (int j = 0; j < contenders.Count; j++)
            {
                int k = (j + r) % contenders.Count;
                var calls = new List<double>();
                for (int q = 0; q < block; q++)
                {
                    var sw = Stopwatch.StartNew();
                    contenders[k].Run();
                    calls.Add(sw.Elapsed.TotalMilliseconds);
                }
                ms[k] = Med(calls);
                times[k].Add(ms[k]);
            }
            ratioHand.Add(ms[0] / ms[1]);
            if (withGradient) ratioGrad.Add(ms[0] / ms[2]);
        }
        Console.WriteLine($"{label}: HVP library {Med(times[0]):F1} ms, hand-written {Med(times[1]):F1} ms, median paired ratio {Med(ratioHand):F3} (target <= 1.05)");
        if (withGradient)
            Console.WriteLine($"{label}: gradient {Med(times[2]):F1} ms, median paired HVP(library)/gradient {Med(ratioGrad):F2} (target <= 2.6), hand-written HVP/gradient {Med(times[1]) / Med(times[2]):F2}");
    }

    private static double Med(List<double> xs)
    {
        var c = xs.OrderBy(x => x).ToList();
        return c[c.Count / 2];
    }

    private static void Hvp(string allocator)
    {
        Console.WriteLine($"hvp: {allocator}");
        manual_seed(0);
        using var mlp = new Mlp(new[] { 784, 500, 300, 10 });
        using var mlpData = Random(1000, new long[] { 784 }, 10);
        CompareHvp("MLP 784-500-300-10, 1000 samples, float32", mlp, mlpData, withGradient: true, rounds: 21, block: 5);
        manual_seed(0);
        using var resnet = LossLandscape.Specs.ModelSpec.Parse("resnet20").Create();
        using var convData = Random(128, new long[] { 3, 32, 32 }, 10);
        CompareHvp("ResNet-20 (BatchNorm in eval mode), 128 images 3x32x32, float32", resnet, convData, withGradient: false, rounds: 10, block: 2);
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
        // Warm-up on 1000 examples: the first HVP of a process also allocates autograd's and the thread pools' own state.
        var warm = new HessianOperator(mlp, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 500, Subset: 1000));
        using (var wv = warm.Space.Randn())
        using (warm.Apply(wv)) { }
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
}
