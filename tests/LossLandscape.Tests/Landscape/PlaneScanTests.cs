using LossLandscape.IO;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;
using static LossLandscape.Tests.Landscape.LandscapeTestUtil;

namespace LossLandscape.Tests.Landscape;

public class PlaneScanTests
{
    [Fact]
    public void FilterNormalize_EachFilterHasItsWeightFilterNorm_BiasAndBatchNormZero()
    {
        var model = BatchNormNet(5);
        var space = new ParameterSpace(model);
        var theta = space.Get();
        var d = Directions.FilterNormalized(space, theta, new Generator(7));
        var ds = space.Split(d);
        var ts = space.Split(theta);
        for (int i = 0; i < ds.Length; i++)
        {
            if (space.Blocks[i].IsFilterBank)
            {
                for (long f = 0; f < ds[i].shape[0]; f++)
                    ds[i][f].norm().item<double>().Should().BeApproximately(ts[i][f].norm().item<double>(), 1e-12);
            }
            else
            {
                ds[i].abs().max().item<double>().Should().Be(0, $"{space.Blocks[i].Name} is a bias or BatchNorm parameter");
            }
        }
        space.Blocks.Count(b => !b.IsFilterBank).Should().Be(4); // 0.bias, 1.weight, 1.bias, 3.bias

        var included = space.Split(Directions.FilterNormalized(space, theta, new Generator(7), includeBiasAndBatchNorm: true));
        for (int i = 0; i < included.Length; i++)
            if (!space.Blocks[i].IsFilterBank)
                included[i].norm().item<double>().Should().BeApproximately(ts[i].norm().item<double>(), 1e-12);
    }

    [Fact]
    public void PlaneScan_OnLinearLeastSquares_MatchesClosedForm()
    {
        // f(x) = w.x + b with squared error against +-1 targets is exactly quadratic in theta = (w, b):
        // L(theta) = (1/P) |X1 theta - t|^2 with X1 = [X, 1].
        manual_seed(11);
        var model = nn.Linear(3, 1);
        model.to(ScalarType.Float64);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 17, d: 3, k: 2, seed: 4);
        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { Loss = new global::LossLandscape.Losses.SquaredErrorLoss() });
        var theta = space.Get();
        var plane = Directions.RandomPlane(space, theta, new Generator(3));
        var grid = new GridSpec(-1, 1, 5, -2, 0.5, 4);
        var r = probe.ScanPlane(plane, grid);

        var x = TestUtil.ToArray(data.Inputs);
        var labels = data.Labels.data<long>().ToArray();
        var th = TestUtil.ToArray(theta);
        var d1 = TestUtil.ToArray(plane.D1);
        var d2 = TestUtil.ToArray(plane.D2);
        for (int j = 0; j < grid.YCount; j++)
            for (int i = 0; i < grid.XCount; i++)
            {
                double gx = r.X[i], gy = r.Y[j];
                var p = th.Select((v, k) => v + gx * d1[k] + gy * d2[k]).ToArray(); // w0, w1, w2, b
                double sum = 0;
                for (int s = 0; s < 17; s++)
                {
                    double pred = p[0] * x[s * 3] + p[1] * x[s * 3 + 1] + p[2] * x[s * 3 + 2] + p[3];
                    double t = labels[s] == 1 ? 1 : -1;
                    sum += (pred - t) * (pred - t);
                }
                r.Losses[j][i].Should().BeApproximately(sum / 17, 1e-12 * (1 + sum / 17));
            }
        r.X.Should().Equal(-1, -0.5, 0, 0.5, 1);
        r.Y.Should().Equal(-2, -2 + 2.5 / 3, -2 + 5.0 / 3, 0.5);
        r.Kind.Should().Be("random");
    }

    [Fact]
    public void ThroughThree_IsOrthonormal_AndReportsTheModelsCoordinates()
    {
        var a = tensor(new[] { 1.0, 0, 0, 2 });
        var b = tensor(new[] { 4.0, 0, 0, 2 });
        var c = tensor(new[] { 2.0, 5, 0, 2 });
        var p = PlaneBasis.ThroughThree(a, b, c);
        ParameterSpace.Dot(p.D1, p.D2).Should().BeApproximately(0, 1e-15);
        ParameterSpace.Norm(p.D1).Should().BeApproximately(1, 1e-15);
        ParameterSpace.Norm(p.D2).Should().BeApproximately(1, 1e-15);
        p.Anchors.Select(q => (q.X, q.Y)).Should().Equal((0.0, 0.0), (3.0, 0.0), (1.0, 5.0));
        // Each anchor reproduces its model.
        var cc = p.Origin + p.D1 * p.Anchors[2].X + p.D2 * p.Anchors[2].Y;
        (cc - c).abs().max().item<double>().Should().BeLessThan(1e-14);

        FluentActions.Invoking(() => PlaneBasis.ThroughThree(a, b, a * 2 - b)).Should().Throw<LossLandscapeException>().WithMessage("*collinear*");
    }

    [Fact]
    public void FromProvider_UsesTheProvidersVectors_AndChecksThem()
    {
        var model = TestUtil.TinyMlp(1);
        var space = new ParameterSpace(model);
        var e1 = space.Randn(new Generator(1));
        var e2 = space.Randn(new Generator(2));
        int asked = 0;
        Tensor[]? given = null;
        using var p = PlaneBasis.FromProvider(space, space.Get(), (s, k) => { asked = k; return given = new[] { e1.clone(), e2.clone() }; });
        asked.Should().Be(2);
        p.Kind.Should().Be("hessian");
        p.D1.sub(e1).abs().max().item<double>().Should().Be(0, "the plane holds a copy of the provider's first vector");
        p.D2.sub(e2).abs().max().item<double>().Should().Be(0);
        given!.Should().OnlyContain(t => t.IsInvalid, "the provider's vectors are freed once copied");
        FluentActions.Invoking(() => PlaneBasis.FromProvider(space, space.Get(), (s, k) => new[] { e1.clone() }))
            .Should().Throw<LossLandscapeException>().WithMessage("*returned 1 vector(s)*");
        FluentActions.Invoking(() => PlaneBasis.FromProvider(space, space.Get(), (s, k) => new[] { e1.clone(), zeros(3, dtype: ScalarType.Float64) }))
            .Should().Throw<LossLandscapeException>().WithMessage("*'d2' must be a 1-D vector*");
    }

    [Theory]
    [InlineData(ShardLayout.RoundRobin)]
    [InlineData(ShardLayout.Contiguous)]
    public void ShardedGrid_MergesIntoTheSingleProcessGrid_Exactly(ShardLayout layout)
    {
        var model = BatchNormNet(2);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 24);
        using var test = Toy(p: 12, seed: 5);
        var probe = new LandscapeProbe(model, data, test, new ProbeOptions { RecomputeBatchSize = 8, RecomputeBatches = 2 });
        probe.Policy.Should().Be(BatchNormPolicy.Recompute);
        var plane = Directions.FilterNormalizedPlane(space, space.Get(), new Generator(1));
        var grid = new GridSpec(-1, 1, 4, -0.5, 0.5, 3);
        var single = probe.ScanPlane(plane, grid);
        var shards = Enumerable.Range(0, 5).Select(i => probe.ScanShard(plane, grid, new ShardSpec(i, 5, layout))).ToArray();

        // Through files, shuffled, as separate processes would hand them over.
        var dir = TestUtil.TempDir();
        var files = shards.Select((s, i) => { var f = Path.Combine(dir, $"s{i}.json"); ResultFiles.WriteJson(f, s); return f; }).ToArray();
        var merged = GridMerge.Merge(files.Reverse().Select(LandscapeFiles.ReadShard).ToArray());

        merged.Fingerprint.Should().Be(single.Fingerprint);
        merged.BatchNorm.Should().Be("recompute");
        for (int j = 0; j < 3; j++)
        {
            merged.Losses[j].Should().Equal(single.Losses[j]);
            merged.Accuracies[j].Should().Equal(single.Accuracies[j]);
            merged.TestLosses![j].Should().Equal(single.TestLosses![j]);
        }

        FluentActions.Invoking(() => GridMerge.Merge(new[] { shards[0], shards[2], shards[4] }))
            .Should().Throw<LossLandscapeException>().WithMessage("Shards missing: 1/5, 3/5*");
        var other = probe.ScanShard(Directions.RandomPlane(space, space.Get(), new Generator(2)), grid, new ShardSpec(1, 5, layout));
        FluentActions.Invoking(() => GridMerge.Merge(new[] { shards[0], other }))
            .Should().Throw<LossLandscapeException>().WithMessage("*different inputs*");
        FluentActions.Invoking(() => GridMerge.Merge(new[] { shards[0], shards[0] }))
            .Should().Throw<LossLandscapeException>().WithMessage("*given twice*");
    }

    [Fact]
    public void ShardSpec_PointsCoverTheGridOnce()
    {
        foreach (var layout in new[] { ShardLayout.RoundRobin, ShardLayout.Contiguous })
        {
            var all = Enumerable.Range(0, 3).SelectMany(i => new ShardSpec(i, 3, layout).PointsOf(10)).OrderBy(k => k);
            all.Should().Equal(Enumerable.Range(0, 10));
        }
        CoordinateSpec.ParseShard("2/4").Should().Be(new ShardSpec(2, 4));
        FluentActions.Invoking(() => CoordinateSpec.ParseShard("4/4")).Should().Throw<LossLandscapeException>().WithMessage("*0 <= i < n*");
        FluentActions.Invoking(() => CoordinateSpec.ParseGrid("-1:1", "0:1:3")).Should().Throw<LossLandscapeException>().WithMessage("*x range*MIN:MAX:COUNT*");
    }
}
