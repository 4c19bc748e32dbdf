using LossLandscape.Data;
using LossLandscape.Training;
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
        Model = "mlp:4-6-3",
        Data = "blobs",
        BatchSize = 5,
        Steps = steps,
        LearningRate = 0.1,
        DType = "float64",
        Device = "cpu",
        Seed = 11,
    };

    public static nn.Module<Tensor, Tensor> Model(TrainingOptions o) => Trainer.CreateModel(o, new long[] { 4 }, 3, CPU);

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
