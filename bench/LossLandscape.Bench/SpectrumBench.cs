using System.Diagnostics;
using System.Text.Json;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.IO;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Spectra;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Bench;

/// <summary>
/// The cost of a whole spectrum run against its operator, on the MLP 784-500-300-10 (545,810 parameters) at
/// initialization (seed 0) over 1000 Fashion-MNIST training images, every ratio from one run:
/// overhead (float32: wall time of the run a user makes, Lanczos top-k with its status and result file, / (applications x
/// a plain TorchSharp double backward on the same model and data, one timed after every application of the run), for
/// the default method and for the full basis with full reorthogonalization), density (float32: the same ratio for the
/// spectral density with its default 10 probes of 80 steps), applications (float64, where a relative residual of 1e-6 is above rounding: applications of the default method /
/// those of the full basis), memory (float32, top-20 for 200 steps: peak resident memory above start, default basis
/// vs full basis).
/// </summary>
public static class SpectrumBench
{
    public static int Run(string[] args)
    {
        // --images N: the number of images for the memory and applications parts (the overhead part always uses 1000).
        long images = 1000;
        int at = Array.IndexOf(args, "--images");
        if (at >= 0)
        {
            if (at + 1 >= args.Length || !long.TryParse(args[at + 1], out images) || images < 1 || images > 60000)
            {
                Console.Error.WriteLine("--images needs a number of images in [1, 60000]");
                return 2;
            }
            args = args.Where((_, i) => i != at && i != at + 1).ToArray();
        }
        // --rounds R: the rounds of the overhead part (default 3).
        int rounds = 3;
        at = Array.IndexOf(args, "--rounds");
        if (at >= 0)
        {
            if (at + 1 >= args.Length || !int.TryParse(args[at + 1], out rounds) || rounds < 1 || rounds > 20)
            {
                Console.Error.WriteLine("--rounds needs a number of rounds in [1, 20]");
                return 2;
            }
            args = args.Where((_, i) => i != at && i != at + 1).ToArray();
        }
        var known = new[] { "overhead", "overhead-default", "density", "applications", "memory" };
        var parts = args.Length == 0 ? new[] { "overhead", "applications", "memory" } : args;
        foreach (var p in parts.Where(p => !known.Contains(p)))
        {
            Console.Error.WriteLine($"unknown part '{p}': use {string.Join(", ", known)}");
            return 2;
        }
        LossLandscape.Runtime.TorchRuntime.RetainFreedHostMemory();
        const string folder = "/usr/share/datasets/fashion-mnist";
        if (!File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")))
        {
            Console.Error.WriteLine($"spectrum bench: {folder} is absent (apt-get install dataset-fashion-mnist)");
            return 2;
        }
        using var all = IdxReader.Read(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), "fashion-mnist/train", DataCatalog.FashionMnistClassNames);
        using var idx = arange(1000, dtype: ScalarType.Int64);
        using var data32 = all.Select(idx, "fashion-mnist 1000");
        using var idxSmall = arange(images, dtype: ScalarType.Int64);
        using var small = all.Select(idxSmall, $"fashion-mnist {images}");
        Console.WriteLine($"threads: {get_num_threads()}, cpu; MLP 784-500-300-10 at initialization (seed 0), Hessian; 1000 Fashion-MNIST training images ({images} for memory and applications)");
        if (parts.Contains("memory")) Memory(small);
        if (parts.Contains("overhead") || parts.Contains("overhead-default")) Overhead(data32, withFullBasis: parts.Contains("overhead"), rounds);
        if (parts.Contains("density")) Density(data32);
        if (parts.Contains("applications")) Applications(small);
        return 0;
    }

    private static Mlp Model(ScalarType dtype)
    {
        manual_seed(0);
        var m = new Mlp(new[] { 784, 500, 300, 10 });
        m.to(dtype);
        m.eval();
        return m;
    }

    private static double HvpMs(HessianOperator op, int calls)
    {
        manual_seed(5);
        using var v = op.Space.Randn();
        var ms = new List<double>();
        for (int i = 0; i < calls; i++)
        {
            var sw = Stopwatch.StartNew();
            using (NewDisposeScope()) op.Apply(v);
            ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        ms.Sort();
        return ms[ms.Count / 2];
    }

    /// <summary>
    /// The operator with a clock around each application (the HVPs timed inside the run itself) and, after each, one
    /// plain double backward (<paramref name="plain"/>) timed on its own: a baseline HVP at the same moment as every
    /// application, whose time is taken out of the run's wall time.
    /// </summary>
    private sealed class Timed(ISymmetricOperator inner, Action plain) : ISymmetricOperator
    {
        public long Dimension => inner.Dimension;
        public ScalarType DType => inner.DType;
        public Device Device => inner.Device;
        public long Applications { get; private set; }
        public double Milliseconds { get; private set; }
        public double PlainMilliseconds { get; private set; }

        public Tensor Apply(Tensor v)
        {
            Tensor? r = null;
            Time(() => r = inner.Apply(v));
            return r!;
        }

        // The Lanczos engine writes each product into its basis (ApplyInto); the clock goes around that call.
        public void ApplyInto(Tensor v, Tensor output) => Time(() => inner.ApplyInto(v, output));

        private void Time(Action application)
        {
            var sw = Stopwatch.StartNew();
            application();
            Milliseconds += sw.Elapsed.TotalMilliseconds;
            Applications++;
            sw.Restart();
            plain();
            PlainMilliseconds += sw.Elapsed.TotalMilliseconds;
        }
    }

    /// <summary>The float32 model, its Hessian over the data in one batch, and the baseline: a plain TorchSharp double backward on the same model and data (CurvatureBench.HandHvp).</summary>
    private sealed class Problem : IDisposable
    {
        private readonly Dataset _data;
        private readonly Tensor[] _ps;
        private readonly Tensor _v;
        private readonly Tensor[] _vs;

        public Problem(Dataset data)
        {
            _data = data;
            Model = SpectrumBench.Model(ScalarType.Float32);
            Op = new HessianOperator(Model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 1000));
            _ps = CurvatureBench.Params(Model);
            manual_seed(5);
            _v = Op.Space.Randn();
            _vs = Op.Space.Split(_v);
        }

        public Mlp Model { get; }
        public HessianOperator Op { get; }

        public void Plain() => CurvatureBench.HandHvp(Model, _data.Inputs, _data.Labels, _ps, _vs);

        public void Dispose()
        {
            _v.Dispose();
            Model.Dispose();
        }
    }

    private static void Overhead(Dataset data, bool withFullBasis, int rounds)
    {
        using var problem = new Problem(data);
        var op = problem.Op;
        double Baseline()
        {
            var ms = new List<double>();
            for (int i = 0; i < 7; i++)
            {
                var sw = Stopwatch.StartNew();
                problem.Plain();
                ms.Add(sw.Elapsed.TotalMilliseconds);
            }
            ms.Sort();
            return ms[ms.Count / 2];
        }
        Baseline();
        HvpMs(op, 3);
        string results = Path.Combine(Path.GetTempPath(), $"llscape-spectrum-bench-{Environment.ProcessId}.json");
        // What a user's run costs: the library call (setup, every step, restarts, Ritz values and convergence checks
        // each step, a status line formatted each step as the CLI's) and the result written atomically.
        (EigenResult Result, double Wall, double InRunHvp, double Plain) Spectrum(LanczosOptions options)
        {
            var timed = new Timed(op, problem.Plain);
            string status = "";
            var progress = new SyncProgress<EigenProgress>(p => status = $"{p.Iteration}: {string.Join(", ", p.Top.Select(x => x.ToString("G6")))}");
            var sw = Stopwatch.StartNew();
            var r = Lanczos.Run(timed, options, progress);
            AtomicFile.WriteAllText(results, JsonSerializer.Serialize(r));
            double wall = sw.Elapsed.TotalMilliseconds - timed.PlainMilliseconds;
            GC.KeepAlive(status);
            return (r, wall, timed.Milliseconds / timed.Applications, timed.PlainMilliseconds / timed.Applications);
        }
        // This machine is shared and its speed drifts by several times within a minute, so the baseline is interleaved
        // with the run: one plain double backward after every application, timed and taken out of the wall time, and the
        // ratio is wall / (applications x their mean). Also printed: the medians of a block of plain HVPs before and
        // after each run, and the library HVP timed in the run. Three rounds by default (--rounds); median and range reported.
        // Warm-up: one short run with restarts (not timed), so that no round pays the JIT compilation of the Lanczos code
        // (the HVPs are warmed up above the same way); a long run pays it once.
        var warm = Spectrum(new LanczosOptions(Top: 10, Tolerance: 1e-4, MaxIterations: 40));
        Console.WriteLine($"overhead: warm-up run before the rounds (not counted): top-10, {warm.Result.Applications} applications, {warm.Result.Restarts} restarts");
        var ratios = new Dictionary<int, List<double>> { [10] = new(), [20] = new() };
        var inRun = new Dictionary<int, List<double>> { [10] = new(), [20] = new() };
        var walls = new Dictionary<int, List<double>> { [10] = new(), [20] = new() };
        double before = Baseline();
        for (int round = 0; round < rounds; round++)
            foreach (int k in round % 2 == 0 ? new[] { 10, 20 } : new[] { 20, 10 })
            {
                var (r, wall, hvpInRun, plain) = Spectrum(new LanczosOptions(Top: k, Tolerance: 1e-4));
                double after = Baseline();
                double ratio = wall / (r.Applications * plain);
                ratios[k].Add(ratio);
                walls[k].Add(wall);
                inRun[k].Add(wall / (r.Applications * hvpInRun));
                Console.WriteLine($"overhead: round {round + 1}, top-{k}, default: {r.Applications} applications, {r.Restarts} restarts, {r.Reorthogonalizations} Gram-Schmidt passes, " +
                    $"{wall / 1000:F1} s; plain double backward {plain:F1} ms (mean, one after each application; blocks before / after the run {before:F1} / {after:F1} ms), " +
                    $"library HVP in the run {hvpInRun:F1} ms (mean); wall / (applications x plain HVP) = {ratio:F3}, " +
                    $"wall / (applications x library HVP in the run) = {inRun[k][^1]:F3}");
                before = after;
            }
        foreach (int k in new[] { 10, 20 })
        {
            var x = ratios[k].OrderBy(t => t).ToList();
            var y = inRun[k].OrderBy(t => t).ToList();
            Console.WriteLine($"overhead: top-{k}, default method: wall / (applications x plain double-backward HVP) median {x[x.Count / 2]:F3} (range {x[0]:F3} - {x[^1]:F3}, {x.Count} rounds) " +
                $"(target <= 1.10: {(x[x.Count / 2] <= 1.10 ? "met" : "NOT met")}); vs the library HVP timed in the run: median {y[y.Count / 2]:F3} (range {y[0]:F3} - {y[^1]:F3})");
            // Part of every run: the first touch of its basis (m + 2 fresh vectors; the operator's own buffers are reused
            // from the allocator's free memory). Timed here on a buffer of the same size, and given as a share of the run.
            int rows = LanczosOptions.DefaultBasisSize(k) + 2;
            var touch = Stopwatch.StartNew();
            using (var fresh = empty(new long[] { rows, op.Dimension }))
            {
                for (int i = 0; i < rows; i++) using (var row = fresh[i]) row.zero_();
                double ms = touch.Elapsed.TotalMilliseconds;
                var w = walls[k].OrderBy(t => t).ToList();
                Console.WriteLine($"overhead: top-{k}: the first touch of a fresh buffer of the basis's size ({rows} vectors, {rows * op.Dimension * 4 / 1048576.0:F0} MiB) takes {ms:F0} ms, " +
                    $"{100 * ms / w[w.Count / 2]:F1} % of the median run's wall time");
            }
        }
        if (withFullBasis)
            foreach (int k in new[] { 10, 20 })
            {
                var (r, wall, hvpInRun, plain) = Spectrum(new LanczosOptions(Top: k, Tolerance: 1e-4, Reorthogonalization: Reorthogonalization.Full, BasisSize: LanczosOptions.FullBasis));
                double after = Baseline();
                double ratio = wall / (r.Applications * plain);
                Console.WriteLine($"overhead: top-{k}, full basis, full reorthogonalization: {r.Applications} applications, {r.Reorthogonalizations} Gram-Schmidt passes, {wall / 1000:F1} s; " +
                    $"wall / (applications x plain HVP) = {ratio:F3}, wall / (applications x library HVP in the run) = {wall / (r.Applications * hvpInRun):F3}");
                before = after;
            }
        File.Delete(results);
    }

    /// <summary>
    /// The spectral density (SLQ, 10 probes of 80 steps, the defaults) as a user runs it, against its operator as the
    /// overhead part measures it: wall / (applications x a plain double backward timed after each application).
    /// </summary>
    private static void Density(Dataset data)
    {
        using var problem = new Problem(data);
        var op = problem.Op;
        for (int i = 0; i < 3; i++) problem.Plain();
        HvpMs(op, 3);
        SpectralDensity.Estimate(op, new SpectralDensityOptions(Probes: 1, Steps: 10));   // warm-up (JIT), not counted
        var timed = new Timed(op, problem.Plain);
        var sw = Stopwatch.StartNew();
        var r = SpectralDensity.Estimate(timed, new SpectralDensityOptions());
        double wall = sw.Elapsed.TotalMilliseconds - timed.PlainMilliseconds;
        Console.WriteLine($"density: 10 probes x 80 steps (SLQ defaults), {r.Applications} applications, {wall / 1000:F1} s; plain double backward {timed.PlainMilliseconds / timed.Applications:F1} ms (mean), " +
            $"library HVP in the run {timed.Milliseconds / timed.Applications:F1} ms; wall / (applications x plain HVP) = {wall / (r.Applications * timed.PlainMilliseconds / timed.Applications):F3}, " +
            $"wall / (applications x library HVP in the run) = {wall / (timed.Milliseconds):F3}");
    }

    private static void Applications(Dataset data32)
    {
        using var model = Model(ScalarType.Float64);
        using var data = new Dataset($"{data32.Name} float64", data32.Inputs.to(ScalarType.Float64), data32.Labels.clone(), data32.ClassNames);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 1000));
        Console.WriteLine($"applications: {data.Count} images, float64");
        foreach (int k in new[] { 20, 10 })
        {
            var full = Lanczos.Run(op, new LanczosOptions(Top: k, Tolerance: 1e-6, MaxIterations: 600, Reorthogonalization: Reorthogonalization.Full, BasisSize: LanczosOptions.FullBasis));
            var def = Lanczos.Run(op, new LanczosOptions(Top: k, Tolerance: 1e-6, MaxIterations: 1200));
            double worst = def.Eigenvalues.Zip(full.Eigenvalues, (a, b) => Math.Abs(a - b) / Math.Abs(full.Eigenvalues[0])).Max();
            double ratio = (double)def.Applications / full.Applications;
            Console.WriteLine($"applications: top-{k} to relative residual 1e-6 (float64): default {def.Applications} (basis {def.BasisSize}, {def.Restarts} restarts, converged {def.Converged}), " +
                $"full basis {full.Applications} (converged {full.Converged}); ratio {ratio:F3} (target <= 1.2: {(ratio <= 1.2 ? "met" : "NOT met")}); largest eigenvalue difference {worst:G2} relative");
            if (worst > 1e-6)
            {
                Console.WriteLine($"applications: top-{k} default:    {string.Join(", ", def.Eigenvalues.Select(x => x.ToString("G8")))}");
                Console.WriteLine($"applications: top-{k} full basis: {string.Join(", ", full.Eigenvalues.Select(x => x.ToString("G8")))}");
            }
        }
    }

    private static long Kb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return -1;
    }

    private static void Memory(Dataset data)
    {
        using var model = Model(ScalarType.Float32);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 1000));
        HvpMs(op, 3);
        Console.WriteLine($"memory: {data.Count} images, float32");
        long vectorMiB = op.Dimension * 4 / 1048576;
        // Ascending in memory: the allocator keeps freed blocks, so the smaller run goes first.
        foreach (var (name, basis) in new[] { ($"default basis (max(2k + 1, 20) = {LanczosOptions.DefaultBasisSize(20)})", (int?)null), ("full basis", (int?)LanczosOptions.FullBasis) })
        {
            GC.Collect();
            File.WriteAllText("/proc/self/clear_refs", "5");
            long before = Kb("VmRSS");
            var r = Lanczos.Run(op, new LanczosOptions(Top: 20, Tolerance: 0, MaxIterations: 200, BasisSize: basis));
            long peak = Kb("VmHWM");
            Console.WriteLine($"memory: top-20, 200 steps, {name}: peak resident memory above start {(peak - before) / 1024.0:F0} MiB " +
                $"({r.Applications} applications, {r.Restarts} restarts; one parameter vector is {vectorMiB} MiB)");
        }
    }
}
