using System.Diagnostics;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Models;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Bench;

/// <summary>
/// Cost of one plane-scan grid point against one forward pass over the same evaluation data (target: at most 1.1x),
/// measured side by side in one run: MLP 784-500-300-10 in float32 on random data, eval policy.
/// </summary>
public static class LandscapeBench
{
    /// <summary>Runs the benchmark and prints the medians and their ratio.</summary>
    public static int Run(string[] args)
    {
        int samples = Arg(args, "--samples", 2000);
        int repeats = Arg(args, "--repeats", 121);
        var device = cuda.is_available() ? CUDA : CPU;
        manual_seed(0);
        var model = new Mlp(new[] { 784, 500, 300, 10 });
        model.to(device);
        model.eval();
        using var data = new Dataset("bench", randn(samples, 784, device: device), randint(0, 10, new long[] { samples }, dtype: ScalarType.Int64, device: device), Enumerable.Range(0, 10).Select(i => $"{i}").ToArray());
        var space = new ParameterSpace(model);
        var theta = space.Get();
        using var plane = Directions.FilterNormalizedPlane(space, theta, new Generator(1, device: device));
        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { ChunkSize = samples });
        int side = (int)Math.Ceiling(Math.Sqrt(repeats));
        var grid = new GridSpec(-1, 1, side, -1, 1, side);

        void Forward()
        {
            using var _ = no_grad();
            BatchSource.FromDataset(data, samples).ForEach((x, _) =>
            {
                var s = model.call(x);
                s.sum().item<float>(); // same synchronization as the probe's reduction
            });
        }

        // Warm-up.
        for (int i = 0; i < 3; i++) Forward();
        probe.ScanShard(plane, new GridSpec(0, 0, 1, 0, 0, 1), ShardSpec.Single);

        // Interleaved pairs (forward, grid point) so machine load affects both alike; the grid point is exactly what
        // LandscapeProbe.ScanShard does per point: SetCombination from the origin, then MeasureCurrent.
        var forward = new List<double>();
        var point = new List<double>();
        var ratios = new List<double>();
        using (space.Preserve())
        {
            for (int i = 0; i < repeats; i++)
            {
                var (x, y) = grid.Coordinates(i % grid.Count);
                var sw = Stopwatch.StartNew();
                Forward();
                double tf = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                space.SetCombination(plane.Origin, (x, plane.D1), (y, plane.D2));
                probe.MeasureCurrent();
                double tp = sw.Elapsed.TotalMilliseconds;
                forward.Add(tf);
                point.Add(tp);
                ratios.Add(tp / tf);
            }
        }
        // Breakdown of a grid point: setting the weights, and the evaluation alone.
        var setOnly = new List<double>();
        var evalOnly = new List<double>();
        using (space.Preserve())
        {
            for (int i = 0; i < repeats; i++)
            {
                var (x, y) = grid.Coordinates(i % grid.Count);
                var sw = Stopwatch.StartNew();
                space.SetCombination(plane.Origin, (x, plane.D1), (y, plane.D2));
                setOnly.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                LossLandscape.Losses.Evaluation.Evaluate(model, probe.Options.Loss, data, samples);
                evalOnly.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        Console.WriteLine($"breakdown: set weights {Median(setOnly):F2} ms, evaluation (loss + accuracy) {Median(evalOnly):F2} ms");
        var parts = new List<double>[3] { new(), new(), new() };
        for (int i = 0; i < repeats; i++)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var x = data.Inputs; var yl = data.Labels;
            var sw = Stopwatch.StartNew();
            var o = model.call(x);
            o.sum().item<float>();
            parts[0].Add(sw.Elapsed.TotalMilliseconds); sw.Restart();
            probe.Options.Loss.PerSample(o, yl).to(ScalarType.Float64).sum().item<double>();
            parts[1].Add(sw.Elapsed.TotalMilliseconds); sw.Restart();
            probe.Options.Loss.Correct(o, yl);
            parts[2].Add(sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"breakdown of the evaluation: forward {Median(parts[0]):F2} ms, per-sample loss {Median(parts[1]):F2} ms, correct {Median(parts[2]):F2} ms");
        // The whole scan once, for the amortized per-point cost including fingerprint and snapshot.
        var swAll = Stopwatch.StartNew();
        probe.ScanShard(plane, grid, ShardSpec.Single);
        double perPointScan = swAll.Elapsed.TotalMilliseconds / grid.Count;
        double f = Median(forward), p = Median(point);
        Console.WriteLine($"device {device.type}, MLP 784-500-300-10 float32, {samples} samples, {repeats} paired repeats");
        Console.WriteLine($"forward pass: median {f:F2} ms");
        Console.WriteLine($"grid point (set weights + loss + accuracy): median {p:F2} ms");
        Console.WriteLine($"ratio grid point / forward: median of paired ratios {Median(ratios):F3}, ratio of medians {p / f:F3} (target <= 1.1)");
        Console.WriteLine($"whole ScanShard over the grid: {perPointScan:F2} ms per point ({perPointScan / f:F3} x forward)");
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
