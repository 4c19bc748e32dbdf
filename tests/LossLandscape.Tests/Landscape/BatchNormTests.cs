using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Specs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static LossLandscape.Tests.Landscape.LandscapeTestUtil;

namespace LossLandscape.Tests.Landscape;

public class BatchNormTests
{
    [Fact]
    public void Resolve_DefaultsToRecomputeForBatchNormModels_AndEvalOtherwise()
    {
        BatchNorms.Resolve(BatchNormNet(), null).Should().Be(BatchNormPolicy.Recompute);
        BatchNorms.Resolve(TestUtil.TinyMlp(), null).Should().Be(BatchNormPolicy.Eval);
        BatchNorms.Resolve(BatchNormNet(), BatchNormPolicy.Eval).Should().Be(BatchNormPolicy.Eval);
        BatchNormSpec.Parse("interpolate").Should().Be(BatchNormPolicy.InterpolateStatistics);
        FluentActions.Invoking(() => BatchNormSpec.Parse("train")).Should().Throw<LossLandscapeException>().WithMessage("*eval*interpolate*recompute*");
    }

    [Fact]
    public void RecomputeStatistics_GivesTheCumulativeAverageOverBatches()
    {
        manual_seed(0);
        var bn = nn.BatchNorm1d(4);
        bn.to(ScalarType.Float64);
        var model = nn.Sequential(("0", bn));
        using var data = Toy(p: 30, d: 4);
        using (no_grad()) { model.train(); model.call(data.Inputs); } // pollute the statistics first
        BatchNorms.RecomputeStatistics(model, BatchSource.FromDataset(data), batchSize: 8, batches: 3);

        var b1 = data.Inputs.narrow(0, 0, 8);
        var b2 = data.Inputs.narrow(0, 8, 8);
        var b3 = data.Inputs.narrow(0, 16, 8);
        var mean = (b1.mean(new long[] { 0 }) + b2.mean(new long[] { 0 }) + b3.mean(new long[] { 0 })) / 3;
        var vars = (b1.var(0) + b2.var(0) + b3.var(0)) / 3; // unbiased batch variances, as BatchNorm tracks
        (bn.running_mean! - mean).abs().max().item<double>().Should().BeLessThan(1e-14);
        (bn.running_var! - vars).abs().max().item<double>().Should().BeLessThan(1e-14);
        bn.momentum.Should().Be(0.1);
        model.training.Should().BeFalse();
    }

    [Fact]
    public void InterpolatedBuffers_AreTheWeightedAverage_WithVarianceClampedAtZero()
    {
        var a = BatchNormNet(1);
        var b = BatchNormNet(2);
        using var data = Toy(p: 20);
        using (no_grad()) { a.train(); a.call(data.Inputs); b.train(); b.call(data.Inputs * 3); }
        var pa = ModelPoint.Capture(new ParameterSpace(a));
        var pb = ModelPoint.Capture(new ParameterSpace(b));
        var target = BatchNormNet(3);
        BatchNorms.SetInterpolatedBuffers(target, pa.Buffers!, pb.Buffers!, 0.25);
        var bn = (BatchNorm)target.named_modules().First(m => m.name == "1").module;
        (bn.running_mean! - (pa.Buffers!["1.running_mean"] * 0.75 + pb.Buffers!["1.running_mean"] * 0.25)).abs().max().item<double>().Should().BeLessThan(1e-15);
        BatchNorms.SetInterpolatedBuffers(target, pb.Buffers!, pa.Buffers!, 5); // far extrapolation: 5 vA - 4 vB may be negative
        bn.running_var!.min().item<double>().Should().BeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public void RecomputePolicy_ChangesTheLossAwayFromTheStoredStatistics()
    {
        var model = BatchNormNet(4);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 32);
        var theta = space.Get();
        var far = theta * 3;
        var eval = new LandscapeProbe(model, data, options: new ProbeOptions { BatchNorm = BatchNormPolicy.Eval }).MeasureAt(far);
        var re = new LandscapeProbe(model, data, options: new ProbeOptions { RecomputeBatchSize = 32, RecomputeBatches = 1 }).MeasureAt(far);
        re.Loss.Should().NotBe(eval.Loss);
        // Reference for recompute: a copy of the model at 3 theta, statistics from one full batch, evaluated in eval mode.
        var copy = BatchNormNet(4);
        new ParameterSpace(copy).Set(far);
        using (no_grad())
        {
            var bn = (BatchNorm)copy.named_modules().First(m => m.name == "1").module;
            bn.reset_running_stats();
            bn.momentum = 1.0;
            copy.train();
            copy.call(data.Inputs);
            copy.eval();
            var s = copy.call(data.Inputs);
            var expected = nn.functional.cross_entropy(s, data.Labels).item<double>();
            re.Loss.Should().BeApproximately(expected, 1e-12);
        }
    }
}
