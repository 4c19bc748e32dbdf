using LossLandscape.Data;
using LossLandscape.Training;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Training;

internal static class TrainingTestUtil
{
    /// <summary>A float64 data set of P Gaussian points in R^d with labels from a fixed linear rule (k classes).</summary>
    public static Dataset Blobs(long p, int d = 4, int k = 3, ulong seed = 7)
    {
        using var g = new Generator(seed);
        var x = randn(new[] { p, (long)d }, dtype: ScalarType.Float64, generator: g);
        using var w = randn(new[] { (long)d, (long)k }, dtype: ScalarType.Float64, generator: g);
        var y = x.matmul(w).argmax(1);
        return new Dataset("blobs", x, y, Enumerable.Range(0, k).Select(i => i.ToString()).ToArray());
    }

    public static TrainingOptions Options(long steps = 10) => new()
    {
        BatchSize = 5,
        Steps = steps,
        LearningRate = 0.1,
        Seed = 11,
    };

    /// <summary>A float64 MLP with the given widths (4-6-3 by default), initialized from the options' seed.</summary>
    public static nn.Module<Tensor, Tensor> Model(TrainingOptions o, params int[] widths)
    {
        manual_seed(o.Seed);
        var m = new LossLandscape.Models.Mlp(widths.Length == 0 ? new[] { 4, 6, 3 } : widths);
        m.to(ScalarType.Float64);
        return m;
    }

    /// <summary>The options as the front end reads them back from a run folder's options.json.</summary>
    public static TrainingOptions LoadOptions(string path) => TrainingOptions.Load(path, LossSpec.Parse, ScheduleSpec.Parse);

    public static Tensor Flat(nn.Module m) => cat(m.parameters().Select(p => p.detach().reshape(-1)).ToArray(), 0).clone();

    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var e = a.eq(b).all();
        return e.item<bool>();
    }

    public static bool BitEqual(nn.Module a, nn.Module b)
    {
        using var fa = Flat(a);
        using var fb = Flat(b);
        return Same(fa, fb);
    }
}
