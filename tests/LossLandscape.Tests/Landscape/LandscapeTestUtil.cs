using LossLandscape.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Landscape;

internal static class LandscapeTestUtil
{
    /// <summary>Random float64 data [P, d] with labels in [0, k).</summary>
    public static Dataset Toy(int p = 40, int d = 4, int k = 3, int seed = 1, string name = "toy")
    {
        var g = new Generator((ulong)seed);
        var x = randn(new long[] { p, d }, dtype: ScalarType.Float64, generator: g);
        var y = randint(0, k, new long[] { p }, dtype: ScalarType.Int64, generator: g);
        return new Dataset(name, x, y, Enumerable.Range(0, k).Select(i => $"c{i}").ToArray());
    }

    public static Sequential BatchNormNet(int seed = 0)
    {
        manual_seed(seed);
        var m = nn.Sequential(("0", nn.Linear(4, 6)), ("1", nn.BatchNorm1d(6)), ("2", nn.ReLU()), ("3", nn.Linear(6, 3)));
        m.to(ScalarType.Float64);
        return m;
    }

    /// <summary>
    /// A two-parameter "model" whose mean squared error on one-hot targets (label 0 everywhere) is the curved valley
    /// L(u, v) = c (v - u^2 + 1)^2 + e (u^2 - 1)^2: minima at (-1, 0) and (1, 0), joined by the valley v = u^2 - 1 whose
    /// highest point is (0, -1) with loss e, while the straight line passes (0, 0) with loss c + e.
    /// </summary>
    public sealed class CurvedValley : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter w;
        public const double C = 1.0, E = 0.05;

        public CurvedValley(double u, double v) : base("CurvedValley")
        {
            w = new Parameter(tensor(new[] { u, v }, dtype: ScalarType.Float64));
            register_parameter("w", w);
        }

        public override Tensor forward(Tensor input)
        {
            var u = w[0];
            var v = w[1];
            var g1 = (v - u * u + 1) * Math.Sqrt(C);
            var g2 = (u * u - 1) * Math.Sqrt(E);
            var row = stack(new[] { g1 + 1, g2 });
            return row.unsqueeze(0).expand(input.shape[0], 2);
        }

        public static double Loss(double u, double v) => C * Math.Pow(v - u * u + 1, 2) + E * Math.Pow(u * u - 1, 2);
    }

    public static Dataset ValleyData(int p = 8) =>
        new("valley", zeros(p, 1, dtype: ScalarType.Float64), zeros(p, dtype: ScalarType.Int64), new[] { "a", "b" });
}
