using LossLandscape.Landscape;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;
using static LossLandscape.Tests.Landscape.LandscapeTestUtil;

namespace LossLandscape.Tests.Landscape;

public class PathSharpnessTrajectoryTests
{
    private static (CurvedValley Model, LandscapeProbe Probe, Tensor A, Tensor B) Valley()
    {
        var model = new CurvedValley(0.3, 0.2);
        var data = ValleyData();
        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { Loss = new global::LossLandscape.Losses.SquaredErrorLoss() });
        return (model, probe, tensor(new[] { -1.0, 0.0 }), tensor(new[] { 1.0, 0.0 }));
    }

    [Fact]
    public void CurvedValley_MatchesItsClosedForm()
    {
        var (_, probe, _, _) = Valley();
        probe.MeasureAt(tensor(new[] { 0.5, -0.25 })).Loss.Should().BeApproximately(CurvedValley.Loss(0.5, -0.25), 1e-15);
    }

    [Theory]
    [InlineData(PathMethod.Bezier)]
    [InlineData(PathMethod.String)]
    public void Connect_OnACurvedValley_FindsAFarLowerBarrierThanTheLine(PathMethod method)
    {
        var (model, probe, a, b) = Valley();
        var before = TestUtil.ToArray(probe.Space.Get());
        var r = PathFinder.Connect(probe, a, b, new PathOptions
        {
            Method = method, Steps = method == PathMethod.Bezier ? 600 : 300, LearningRate = method == PathMethod.Bezier ? 0.02 : 0.05, Images = 8, EvaluationPoints = 41,
        });

        // Straight line: the midpoint (0, 0) has loss C + E; the ends have loss 0.
        r.LineBarrier.Should().BeApproximately(CurvedValley.C + CurvedValley.E, 1e-12);
        r.Line[0].Loss.Should().Be(0);
        r.Path[0].Loss.Should().Be(0);
        r.Path[^1].Loss.Should().Be(0);
        // The valley's own barrier is E; the path must come close to it.
        r.PathBarrier.Should().BeLessThan(0.1 * r.LineBarrier);
        r.PathBarrier.Should().BeGreaterThan(0.9 * CurvedValley.E);
        r.Method.Should().Be(method == PathMethod.Bezier ? "bezier" : "string");
        TestUtil.ToArray(probe.Space.Get()).Should().Equal(before);
        if (method == PathMethod.Bezier)
        {
            var m = TestUtil.ToArray(r.Nodes[1]);
            m[1].Should().BeLessThan(-1.0); // the middle point bends the curve down into the valley
        }
    }

    [Fact]
    public void AutoNeb_OnACurvedValley_InsertsPivotsAndFindsAFarLowerBarrierThanTheLine()
    {
        var (_, probe, a, b) = Valley();
        var before = TestUtil.ToArray(probe.Space.Get());
        using var r = PathFinder.Connect(probe, a, b, new PathOptions
        {
            Method = PathMethod.AutoNeb, Steps = 240, Cycles = 4, LearningRate = 0.02, Images = 7, EvaluationPoints = 41,
        });
        r.Method.Should().Be("autoneb");
        r.LineBarrier.Should().BeApproximately(CurvedValley.C + CurvedValley.E, 1e-12);
        r.Path[0].Loss.Should().Be(0);
        r.Path[^1].Loss.Should().Be(0);
        r.PathBarrier.Should().BeLessThan(0.15 * r.LineBarrier);
        r.PathBarrier.Should().BeGreaterThan(0.9 * CurvedValley.E, "no path between the minima goes below the valley's saddle");
        r.Nodes.Count.Should().BeInRange(4, 9, "pivots were inserted, at most Images interior ones");
        r.TrainingLoss.Should().HaveCount(240);
        TestUtil.ToArray(r.Nodes[0]).Should().Equal(-1.0, 0.0);
        TestUtil.ToArray(r.Nodes[^1]).Should().Equal(1.0, 0.0);
        TestUtil.ToArray(probe.Space.Get()).Should().Equal(before);
    }

    [Fact]
    public void SaddleTree_IsTheMinimumSpanningTree_AndGivesMinimaxSaddles()
    {
        // Four minima: 0-1 and 2-3 are joined by low saddles, the two pairs by a high one (cheapest via 1-2).
        var s = new double[,]
        {
            { 0, 1, 9, 8 },
            { 1, 0, 5, 7 },
            { 9, 5, 0, 2 },
            { 8, 7, 2, 0 },
        };
        var tree = SaddleTree.Build(s);
        tree.Edges.Select(e => (e.A, e.B, e.Saddle)).Should().BeEquivalentTo(new[] { (0, 1, 1.0), (2, 3, 2.0), (1, 2, 5.0) });
        tree.Saddle(0, 3).Should().Be(5);
        tree.Saddle(0, 1).Should().Be(1);
        tree.Saddle(3, 2).Should().Be(2);
        tree.Saddle(1, 1).Should().Be(0);
        FluentActions.Invoking(() => SaddleTree.Build(new double[,] { { 0, 1 }, { 2, 0 } })).Should().Throw<LossLandscapeException>().WithMessage("*symmetric*");
    }

    [Fact]
    public void ConnectAll_BuildsTheSaddleTreeOfThreeMinima()
    {
        var (_, probe, a, b) = Valley();
        var c = tensor(new[] { 1.0, 0.0 });   // a duplicate of B: the saddle between them is their own loss
        var tree = PathFinder.ConnectAll(probe, new[] { a, b, c }, new PathOptions { Method = PathMethod.AutoNeb, Steps = 80, Cycles = 2, LearningRate = 0.02, Images = 3, EvaluationPoints = 21 });
        tree.Edges.Should().HaveCount(2);
        tree.Saddle(1, 2).Should().Be(0);
        tree.Saddle(0, 2).Should().Be(tree.Saddle(0, 1));
        tree.Saddle(0, 1).Should().BeLessThan(0.5 * (CurvedValley.C + CurvedValley.E));
    }

    [Fact]
    public void Sharpness_ReportsKeskarsRatio_StaysInTheBox_AndGrowsWithEpsilon()
    {
        var model = TestUtil.TinyMlp(3);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 30);
        var probe = new LandscapeProbe(model, data);
        var theta = space.Get();
        var small = Sharpness.Measure(probe, theta, new SharpnessOptions { Epsilon = 1e-3, Steps = 5, TopEigenvalue = 2.5, TraceProvider = s => 7.0 });
        var large = Sharpness.Measure(probe, theta, new SharpnessOptions { Epsilon = 1e-2, Steps = 5 });

        small.Value.Should().BeApproximately(100 * (small.MaxLoss - small.BaseLoss) / (1 + small.BaseLoss), 1e-12);
        small.MaxLoss.Should().BeGreaterThan(small.BaseLoss);
        small.Ascent.Should().HaveCount(6);
        small.Ascent[0].Should().BeApproximately(small.BaseLoss, 1e-12);
        large.Value.Should().BeGreaterThan(small.Value);
        small.TopEigenvalue.Should().Be(2.5);
        small.Trace.Should().Be(7.0);
        large.TopEigenvalue.Should().BeNull();
        double box = ParameterSpace.Norm((theta.abs() + 1) * 1e-3);
        small.MaxPerturbationNorm.Should().BeLessThanOrEqualTo(box * (1 + 1e-12));
        TestUtil.ToArray(space.Get()).Should().Equal(TestUtil.ToArray(theta));

        // The random subspace: feasible, and no sharper than the full-space ascent with the same box.
        var sub = Sharpness.Measure(probe, theta, new SharpnessOptions { Epsilon = 1e-2, Steps = 5, SubspaceDimension = 3, Seed = 4 });
        sub.SubspaceDimension.Should().Be(3);
        sub.MaxLoss.Should().BeGreaterThanOrEqualTo(sub.BaseLoss);
        sub.MaxPerturbationNorm.Should().BeLessThanOrEqualTo(ParameterSpace.Norm((theta.abs() + 1) * 1e-2) * (1 + 1e-12));
        sub.Value.Should().BeLessThanOrEqualTo(large.Value + 1e-9);
    }

    [Fact]
    public void Sharpness_OnAQuadratic_MatchesTheBoxCornerMaximum()
    {
        // Linear least squares: f(theta + z) is a convex quadratic in z, so its maximum over the box lies at a corner.
        // The found maximum must not exceed the best corner (closed form) and must rise above f(theta).
        manual_seed(2);
        var model = nn.Linear(2, 1);
        model.to(ScalarType.Float64);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 12, d: 2, k: 2, seed: 3);
        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { Loss = new global::LossLandscape.Losses.SquaredErrorLoss() });
        var r = Sharpness.Measure(probe, space.Get(), new SharpnessOptions { Epsilon = 0.05, Steps = 10, StepFraction = 1.0 });
        // Every corner's loss by the closed form: the best corner bounds any point of the box, the found maximum included.
        var th = TestUtil.ToArray(space.Get());
        var x = TestUtil.ToArray(data.Inputs);
        var y = data.Labels.data<long>().ToArray();
        double best = double.NegativeInfinity;
        for (int mask = 0; mask < 8; mask++)
        {
            var p = th.Select((v, i) => v + (((mask >> i) & 1) == 1 ? 1 : -1) * 0.05 * (Math.Abs(v) + 1)).ToArray();
            double s = 0;
            for (int k = 0; k < 12; k++)
            {
                double e = p[0] * x[2 * k] + p[1] * x[2 * k + 1] + p[2] - (y[k] == 1 ? 1 : -1);
                s += e * e;
            }
            best = Math.Max(best, s / 12);
        }
        r.MaxLoss.Should().BeLessThanOrEqualTo(best + 1e-12);
        r.MaxLoss.Should().BeGreaterThan(r.BaseLoss);
    }

    [Fact]
    public void Trajectory_RecoversThePlaneOfARun_AndItsExplainedVariance()
    {
        int m = 50;
        var g = new Generator(5);
        var final = randn(new long[] { m }, dtype: ScalarType.Float64, generator: g);
        var u = randn(new long[] { m }, dtype: ScalarType.Float64, generator: g);
        u /= u.norm();
        var v = randn(new long[] { m }, dtype: ScalarType.Float64, generator: g);
        v -= u * u.dot(v);
        v /= v.norm();
        double[] a = { 4, 3, 2, 1, 0.5 };
        double[] b = { 1, -1, -1, 1, 0 };   // orthogonal to a: sum a_i b_i = 4 - 3 - 2 + 1 = 0
        var cps = a.Select((ai, i) => final + u * ai + v * b[i]).Append(final).ToList();
        var tp = Trajectory.Plane(cps);

        double la = a.Sum(t => t * t), lb = b.Sum(t => t * t);
        tp.ExplainedVariance[0].Should().BeApproximately(la / (la + lb), 1e-12);
        tp.ExplainedVariance[1].Should().BeApproximately(lb / (la + lb), 1e-12);
        for (int i = 0; i < a.Length; i++)
        {
            tp.Points[i].X.Should().BeApproximately(a[i], 1e-10); // sign fixed by the first checkpoint (a_0 > 0)
            Math.Abs(tp.Points[i].Y).Should().BeApproximately(Math.Abs(b[i]), 1e-10);
        }
        tp.Points[^1].Should().Be(new TrajectoryPoint(5, "5", 0, 0));
        ParameterSpace.Dot(tp.Plane.D1, tp.Plane.D2).Should().BeApproximately(0, 1e-12);

        FluentActions.Invoking(() => Trajectory.Plane(new[] { final + u, final + u * 2, final }))
            .Should().Throw<LossLandscapeException>().WithMessage("*fewer than two directions*");
    }

    [Fact]
    public void TrajectoryRun_ScansTheLossUnderTheProjectedPath()
    {
        var model = TestUtil.TinyMlp(1);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 20);
        var g = new Generator(1);
        var final = space.Get();
        var cps = Enumerable.Range(0, 4).Select(i => final + space.Randn(g) * (0.1 * (4 - i))).Append(final).ToList();
        var r = Trajectory.Run(new LandscapeProbe(model, data), cps, null, gridSize: 5);
        r.Surface.Losses.Should().HaveCount(5);
        r.Surface.Kind.Should().Be("pca");
        r.Surface.X.Min().Should().BeLessThan(r.Points.Min(p => p.X));
        r.Surface.X.Max().Should().BeGreaterThan(r.Points.Max(p => p.X));
        (r.ExplainedVariance[0] + r.ExplainedVariance[1]).Should().BeLessThanOrEqualTo(1 + 1e-12);
        r.ExplainedVariance[0].Should().BeGreaterThanOrEqualTo(r.ExplainedVariance[1]);
    }
}
