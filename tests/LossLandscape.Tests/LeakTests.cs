using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests;

/// <summary>
/// Every algorithm and probe, run twice in a row, leaves the count of live native tensor handles where the first run
/// left it: nothing grows per call (results that own tensors are disposed by the test, as a caller would).
/// </summary>
public class LeakTests
{
    private static long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    /// <summary>Runs <paramref name="action"/> three times and checks that the second and third leave no new handles.</summary>
    private static void NoGrowth(Action action)
    {
        action();
        long after1 = Live();
        action();
        long after2 = Live();
        action();
        long after3 = Live();
        (after2 - after1).Should().Be(0, "a second run leaves no handles behind");
        (after3 - after2).Should().Be(0, "a third run leaves no handles behind");
    }

    private static (Mlp Model, Dataset Data) Mlp()
    {
        manual_seed(3);
        var m = new Mlp(new[] { 4, 6, 3 }, Activation.Tanh);
        m.to(ScalarType.Float64);
        var g = new Generator(4);
        var x = randn(new long[] { 20, 4 }, dtype: ScalarType.Float64, generator: g);
        var y = randint(0, 3, new long[] { 20 }, generator: g);
        return (m, new Dataset("tiny", x, y, new[] { "a", "b", "c" }));
    }

    [Fact]
    public void Alignment_LeavesNoHandles()
    {
        var (model, data) = Mlp();
        manual_seed(8);
        using var other = new Mlp(new[] { 4, 6, 3 }, Activation.Tanh);
        other.to(ScalarType.Float64);
        using (model)
        using (data)
        {
            var source = BatchSource.FromTensors(data.Inputs, data.Labels, 7);
            var spec = global::LossLandscape.Permutations.PermutationSpec.For(other);
            NoGrowth(() => spec.Apply(other, spec.Random(new Random(1))));
            NoGrowth(() => global::LossLandscape.Permutations.ModelAlignment.Align(model, other));
            NoGrowth(() => global::LossLandscape.Permutations.ModelAlignment.Align(model, other, new() { Method = global::LossLandscape.Permutations.AlignmentMethod.Activation }, source));
        }
    }

    [Fact]
    public void CurvatureOperators_AndSpectra_LeaveNoHandles()
    {
        var (model, data) = Mlp();
        using (model)
        using (data)
        {
            foreach (var name in new[] { "hessian", "ggn", "residual" })
            {
                var op = CurvatureOperators.Create(name, model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 7));
                using var v = op.Space.Randn(new Generator(1));
                NoGrowth(() => op.Apply(v).Dispose());
                NoGrowth(() => op.LossAndGradient().Gradient.Dispose());
            }
            var h = new HessianOperator(model, new CrossEntropyLoss(), BatchSource.FromTensors(data.Inputs, data.Labels, 6));
            NoGrowth(() => Lanczos.Run(h, new LanczosOptions(Top: 2, Bottom: 1, Seed: 1, ReturnEigenvectors: true)).Dispose());
            NoGrowth(() => Lanczos.Run(h, new LanczosOptions(Top: 2, Seed: 1, BasisSize: 6)).Dispose());
            NoGrowth(() => PowerIteration.Run(h, new PowerIterationOptions(Top: 1, ReturnEigenvectors: true)).Dispose());
            NoGrowth(() => Hutchinson.Estimate(h, new HutchinsonOptions(Probes: 3, Seed: 2, Diagonal: true)).Dispose());
            NoGrowth(() => HutchPlusPlus.Estimate(h, new HutchPlusPlusOptions(Applications: 6, Seed: 2, Diagonal: true)).Dispose());
            var provider = HessianDirections.Provider(h, seed: 3);
            NoGrowth(() => { foreach (var d in provider(h.Space, 2)) d.Dispose(); });
            NoGrowth(() => SpectralDensity.Estimate(h, new SpectralDensityOptions(Probes: 2, Steps: 5)));
        }
    }

    [Fact]
    public void LineScans_Paths_Sharpness_AndTrajectories_LeaveNoHandles()
    {
        var (model, data) = Mlp();
        using (model)
        using (data)
        {
            var probe = new LandscapeProbe(model, data);
            var space = probe.Space;
            using var a = space.Get();
            using var b = a.add(0.1);
            NoGrowth(() => probe.Interpolate(new ModelPoint(a), new ModelPoint(b), new[] { -0.5, 0, 0.5, 1, 1.5 }, normPreserving: true));
            NoGrowth(() => PathFinder.Connect(probe, a, b, new PathOptions { Method = PathMethod.Bezier, Steps = 4, BatchSize = 8 }).Dispose());
            NoGrowth(() => PathFinder.Connect(probe, a, b, new PathOptions { Method = PathMethod.String, Steps = 3, Images = 3 }).Dispose());
            NoGrowth(() => PathFinder.Connect(probe, a, b, new PathOptions { Method = PathMethod.AutoNeb, Steps = 4, Cycles = 2, Images = 3, BatchSize = 8 }).Dispose());
            NoGrowth(() => Sharpness.Measure(probe, a, new SharpnessOptions { Steps = 3, Seed = 1 }));
            using var c = a.add(space.Randn(new Generator(9)).mul_(0.05));
            NoGrowth(() => Trajectory.Run(probe, new[] { a, c, b }, null, gridSize: 3));
        }
    }

    [Fact]
    public void Training_AndBatchPlans_OnTheCallersTensors_LeaveNoHandles()
    {
        var (model, data) = Mlp();
        using (model)
        using (data)
        {
            var source = BatchSource.FromTensors(data.Inputs, data.Labels, 7);
            var options = new LossLandscape.Training.TrainingOptions { BatchSize = 5, Steps = 6, LearningRate = 0.05, Momentum = 0.9, EvalEvery = 3, EvalSubset = 10, Seed = 2 };
            NoGrowth(() =>
            {
                using var t = new LossLandscape.Training.Trainer(model, source, source, options);
                t.Run();
            });
            foreach (var make in new Func<BatchPlan>[] { () => BatchPlan.Shuffled(1), () => BatchPlan.Sampled(1), BatchPlan.Sequential })
            {
                using var plan = make();
                NoGrowth(() =>
                {
                    using var scope = NewDisposeScope();
                    plan.NextBatch(source, 6);
                });
            }
            using var x1 = data.Inputs.narrow(0, 0, 9);
            using var y1 = data.Labels.narrow(0, 0, 9);
            using var x2 = data.Inputs.narrow(0, 9, 11);
            using var y2 = data.Labels.narrow(0, 9, 11);
            var loader = BatchSource.FromBatches(() => new[] { (x1, y1), (x2, y2) }, 20);
            NoGrowth(() => loader.Rebatch(4).ForEach((x, _) => x.sum()));
        }
    }

    [Fact]
    public void PlaneScan_WithBatchNormRecomputed_LeavesNoHandlesPerPoint()
    {
        manual_seed(5);
        using var model = new CifarResNet(8, inputChannels: 1, classes: 3);
        model.to(ScalarType.Float64);
        var g = new Generator(6);
        using var data = new Dataset("images", randn(new long[] { 12, 1, 8, 8 }, dtype: ScalarType.Float64, generator: g),
            randint(0, 3, new long[] { 12 }, generator: g), new[] { "a", "b", "c" });
        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { BatchNorm = BatchNormPolicy.Recompute, RecomputeBatchSize = 4, RecomputeBatches = 2, ChunkSize = 5 });
        probe.PolicyName.Should().Be("recompute");
        using var theta = probe.Space.Get();
        NoGrowth(() =>
        {
            using var plane = Directions.FilterNormalizedPlane(probe.Space, theta, new Generator(7));
            probe.ScanPlane(plane, new GridSpec(-1, 1, 3, -1, 1, 3));
        });
    }
}
