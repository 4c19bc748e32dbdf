using LossLandscape.Curvature;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Spectra;
using LossLandscape.Tests.Curvature;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Spectra;

/// <summary>Probe k's vector depends on (seed, k) alone, so probes computed in any order or in shards give the one-process estimate exactly.</summary>
public class ProbeShardTests
{
    [Fact]
    public void ProbeStreams_DependOnSeedAndIndexOnly()
    {
        double[] Draw(long seed, long k)
        {
            using var r = RandomVectors.ForProbe(seed, k);
            using var z = r.Rademacher(64, ScalarType.Float64, CPU);
            return TestUtil.ToArray(z);
        }
        Draw(3, 5).Should().Equal(Draw(3, 5));
        Draw(3, 5).Should().NotEqual(Draw(3, 6));
        Draw(3, 5).Should().NotEqual(Draw(4, 5));
        Draw(3, 0).Should().NotEqual(Draw(0, 3));
        Draw(3, 5).Should().OnlyContain(x => x == 1 || x == -1);
    }

    [Fact]
    public void HutchinsonShards_MergeIntoTheOneShardRun_AndTheirBlockTracesSumToTheExactTraceInExpectation()
    {
        using var scope = NewDisposeScope();
        manual_seed(51);
        using var model = new Mlp(new[] { 4, 6, 3 }, Activation.Tanh);
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(10, 4, 3, seed: 52);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data);
        var dense = CurvatureReference.DenseHessian(model, "ce", data);
        var options = new HutchinsonOptions(Probes: 40, Seed: 9);

        var single = TraceShards.Compute(op, options, ShardSpec.Single);
        var estimate = Hutchinson.Estimate(op, options);
        single.Points.Select(p => p.Sample).Should().Equal(estimate.Samples, "Estimate draws the same per-probe vectors");
        var shards = Enumerable.Range(0, 3).Select(i => TraceShards.Compute(op, options, new ShardSpec(i, 3))).Reverse().ToArray();
        var merged = TraceShards.Merge(shards);
        merged.Points.Should().BeEquivalentTo(single.Points, o => o.WithStrictOrdering());
        merged.Loss.Should().Be(single.Loss);
        var (result, blocks) = TraceShards.Summarize(merged);
        result.Trace.Should().Be(estimate.Trace);
        result.Upper.Should().Be(estimate.Upper);
        blocks.Sum().Should().BeApproximately(result.Trace, 1e-10 * Math.Abs(result.Trace));
        double exact = dense.trace().item<double>();
        result.Lower.Should().BeLessThan(exact);
        result.Upper.Should().BeGreaterThan(exact);
        // Each block's estimate against the exact trace of its diagonal block, within a few standard errors of its samples.
        var diagonal = TestUtil.ToArray(dense.diagonal());
        for (int b = 0; b < op.Space.Blocks.Count; b++)
        {
            var block = op.Space.Blocks[b];
            double exactBlock = diagonal.Skip((int)block.Offset).Take((int)block.Count).Sum();
            var s = merged.Points.Select(p => p.Blocks[b]).ToArray();
            double se = Math.Sqrt(s.Sum(x => (x - s.Average()) * (x - s.Average())) / (s.Length - 1) / s.Length);
            Math.Abs(blocks[b] - exactBlock).Should().BeLessThan(4 * se + 1e-12, block.Name);
        }

        FluentActions.Invoking(() => TraceShards.Merge(shards.Take(2).ToArray())).Should().Throw<LossLandscapeException>().WithMessage("Shards missing: 0/3*");
        var otherSeed = TraceShards.Compute(op, options with { Seed = 10 }, new ShardSpec(1, 3));
        FluentActions.Invoking(() => TraceShards.Merge(new[] { shards[0], otherSeed, shards[2] })).Should().Throw<LossLandscapeException>().WithMessage("*different inputs*");
        FluentActions.Invoking(() => TraceShards.Merge(new[] { shards[0], shards[0] })).Should().Throw<LossLandscapeException>().WithMessage("*given twice*");
    }

    [Fact]
    public void DensityProbes_ComputedApart_AreTheRulesOfOneRun_AndMergeIntoItsDensity()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 60).Select(i => Math.Cos(i) + (i > 56 ? 8 : 0)).ToArray();
        var q = linalg.qr(randn(60, 60, dtype: ScalarType.Float64, generator: new Generator(53))).Q;
        using var op = new DenseOperator(q.mm(diag(tensor(spectrum, dtype: ScalarType.Float64))).mm(q.t()));
        var options = new SpectralDensityOptions(Probes: 4, Steps: 12, GridPoints: 100, Seed: 2);
        var one = SpectralDensity.Estimate(op, options);
        var apart = Enumerable.Range(0, 4).Reverse().Select(k => SpectralDensity.Probe(op, options, k)).Reverse().ToArray();
        for (int k = 0; k < 4; k++)
        {
            apart[k].Nodes.Should().Equal(one.Probes[k].Nodes);
            apart[k].Weights.Should().Equal(one.Probes[k].Weights);
        }
        var again = SpectralDensity.FromRules(apart.Select(p => new QuadratureRule(p.Nodes, p.Weights)).ToArray(), options, op.Dimension, apart.Sum(p => p.Applications));
        again.Density.Should().Equal(one.Density);
        again.DensityUpper.Should().Equal(one.DensityUpper);
        again.TraceEstimate.Should().Be(one.TraceEstimate);
        again.Applications.Should().Be(one.Applications);
        again.Mean.Should().BeApproximately(spectrum.Average(), 0.5);
    }

    [Fact]
    public void DensityProbes_InOneRun_ReuseTheEngine_AndGiveTheRulesOfFreshOnes_AlsoAfterABreakdown()
    {
        // Three distinct eigenvalues: every probe's Krylov space has dimension 3, so each run stops at its breakdown, well
        // before the 12 steps; the next probe then starts over in the same engine and must not see the earlier one's state.
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 40).Select(i => (double)(i % 3) - 0.5).ToArray();
        var q = linalg.qr(randn(40, 40, dtype: ScalarType.Float64, generator: new Generator(54))).Q;
        using var low = new DenseOperator(q.mm(diag(tensor(spectrum, dtype: ScalarType.Float64))).mm(q.t()));
        var options = new SpectralDensityOptions(Probes: 3, Steps: 12, GridPoints: 50, Seed: 5);
        var one = SpectralDensity.Estimate(low, options);
        one.Applications.Should().Be(9);
        for (int k = 0; k < 3; k++)
        {
            var apart = SpectralDensity.Probe(low, options, k);
            apart.Nodes.Should().Equal(one.Probes[k].Nodes);
            apart.Weights.Should().Equal(one.Probes[k].Weights);
            apart.Nodes.Should().HaveCount(3);
            apart.Nodes.Zip(new[] { -0.5, 0.5, 1.5 }, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-10);
        }
    }
}
