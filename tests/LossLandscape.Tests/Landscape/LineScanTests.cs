using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using LossLandscape.Specs;
using static TorchSharp.torch;
using static LossLandscape.Tests.Landscape.LandscapeTestUtil;

namespace LossLandscape.Tests.Landscape;

public class LineScanTests
{
    private static (LossLandscape.Models.Mlp Model, ParameterSpace Space, ModelPoint A, ModelPoint B) TwoModels()
    {
        var model = TestUtil.TinyMlp(1);
        var space = new ParameterSpace(model);
        var a = ModelPoint.Capture(space);
        var other = TestUtil.TinyMlp(2);
        var b = ModelPoint.Capture(new ParameterSpace(other));
        return (model, space, a, b);
    }

    [Fact]
    public void Interpolate_AtZeroAndOne_GivesEndPointLossesExactly()
    {
        var (model, space, a, b) = TwoModels();
        using var data = Toy();
        var probe = new LandscapeProbe(model, data);
        var result = probe.Interpolate(a, b, new[] { 1.0, 0.5, 0.0 });

        model.eval();
        var lossA = Evaluation.Evaluate(model, new CrossEntropyLoss(), data);
        var modelB = TestUtil.TinyMlp(2);
        modelB.eval();
        var lossB = Evaluation.Evaluate(modelB, new CrossEntropyLoss(), data);
        result.Points[2].Loss.Should().Be(lossA.Loss);
        result.Points[2].Accuracy.Should().Be(lossA.Accuracy);
        result.Points[0].Loss.Should().Be(lossB.Loss);
        result.BatchNorm.Should().Be("eval");
        result.Kind.Should().Be("between");
    }

    [Fact]
    public void Scans_LeaveWeightsAndBuffersBitIdentical()
    {
        var model = BatchNormNet(3);
        model.train();
        var space = new ParameterSpace(model);
        using var data = Toy(p: 30);
        var before = space.Get();
        var buffersBefore = model.named_buffers().Select(nb => nb.buffer.clone()).ToArray();
        var a = ModelPoint.Capture(space);
        var other = BatchNormNet(4);
        using (no_grad()) other.call(data.Inputs); // eval-mode forward, but train flag on: updates stats
        var b = ModelPoint.Capture(new ParameterSpace(other));

        foreach (var policy in new[] { BatchNormPolicy.Eval, BatchNormPolicy.InterpolateStatistics, BatchNormPolicy.Recompute })
        {
            var probe = new LandscapeProbe(model, data, options: new ProbeOptions { BatchNorm = policy, RecomputeBatchSize = 8, RecomputeBatches = 2 });
            probe.Interpolate(a, b, Alphas.Linspace(-1, 2, 4), normPreserving: policy == BatchNormPolicy.Eval);
            if (policy != BatchNormPolicy.InterpolateStatistics)
            {
                probe.AlongDirection(before, space.Randn(), new[] { 0.5 });
                probe.ScanPlane(Directions.FilterNormalizedPlane(space, before), new GridSpec(-1, 1, 2, -1, 1, 2));
            }
        }
        TestUtil.ToArray(space.Get()).Should().Equal(TestUtil.ToArray(before));
        model.training.Should().BeTrue();
        var buffersAfter = model.named_buffers().Select(nb => nb.buffer).ToArray();
        for (int i = 0; i < buffersAfter.Length; i++) TestUtil.ToArray(buffersAfter[i]).Should().Equal(TestUtil.ToArray(buffersBefore[i]));
    }

    [Fact]
    public void Interpolate_Float64Losses_MatchIndependentComputation()
    {
        var (model, space, a, b) = TwoModels();
        using var data = Toy(p: 25);
        var alphas = CoordinateSpec.ParseAlphas("-1:2:7");
        var result = new LandscapeProbe(model, data).Interpolate(a, b, alphas);

        // Independent: per-parameter tensors, explicit forward and log-sum-exp cross-entropy.
        var pa = model.named_parameters().Select(np => np.parameter.detach().clone()).ToArray();
        var pb = TestUtil.TinyMlp(2).named_parameters().Select(np => np.parameter.detach().clone()).ToArray();
        for (int k = 0; k < alphas.Length; k++)
        {
            double al = alphas[k];
            var w = pa.Zip(pb, (x, y) => x * (1 - al) + y * al).ToArray();
            var h = data.Inputs.matmul(w[0].t()) + w[1];
            h = h.clamp_min(0);
            var s = h.matmul(w[2].t()) + w[3];
            var sy = s.gather(1, data.Labels.unsqueeze(1)).squeeze(1);
            double expected = (s.logsumexp(1) - sy).mean().item<double>();
            result.Points[k].Loss.Should().BeApproximately(expected, 1e-10 * Math.Abs(expected));
            result.Points[k].Alpha.Should().Be(al);
        }
    }

    [Fact]
    public void Interpolate_NormPreserving_RescalesToInterpolatedNorm()
    {
        var (model, space, a, b) = TwoModels();
        using var data = Toy(p: 20);
        double al = 0.3;
        var r = new LandscapeProbe(model, data).Interpolate(a, b, new[] { al }, normPreserving: true);

        var v = a.Theta * (1 - al) + b.Theta * al;
        double target = (1 - al) * ParameterSpace.Norm(a.Theta) + al * ParameterSpace.Norm(b.Theta);
        var x = v * (target / ParameterSpace.Norm(v));
        double expected = new LandscapeProbe(model, data).MeasureAt(x).Loss;
        r.Points[0].Loss.Should().BeApproximately(expected, 1e-12);
        r.NormPreserving.Should().BeTrue();
        // Not the same as the plain interpolation.
        var plain = new LandscapeProbe(model, data).Interpolate(a, b, new[] { al });
        plain.Points[0].Loss.Should().NotBe(r.Points[0].Loss);
    }

    [Fact]
    public void Interpolate_WithTestData_ReportsTestValues()
    {
        var (model, _, a, b) = TwoModels();
        using var data = Toy(p: 20);
        using var test = Toy(p: 10, seed: 9);
        var r = new LandscapeProbe(model, data, test).Interpolate(a, b, new[] { 0.0 });
        model.eval();
        var expected = Evaluation.Evaluate(model, new CrossEntropyLoss(), test);
        r.Points[0].TestLoss.Should().Be(expected.Loss);
        r.Points[0].TestAccuracy.Should().Be(expected.Accuracy);
    }

    [Fact]
    public void InterpolatedStatistics_WithoutBuffers_IsRefused()
    {
        var model = BatchNormNet();
        var space = new ParameterSpace(model);
        using var data = Toy(p: 10);
        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { BatchNorm = BatchNormPolicy.InterpolateStatistics });
        var act = () => probe.Interpolate(new ModelPoint(space.Get()), new ModelPoint(space.Get()), new[] { 0.5 });
        act.Should().Throw<LossLandscapeException>().WithMessage("*needs the buffers of both end points*");
        var plane = () => probe.ScanPlane(Directions.RandomPlane(space, space.Get()), new GridSpec(0, 1, 2, 0, 1, 2));
        plane.Should().Throw<LossLandscapeException>().WithMessage("*only to line scans between two models*");
    }

    [Theory]
    [InlineData("-1:2:4", new[] { -1.0, 0.0, 1.0, 2.0 })]
    [InlineData("0,0.5, 1", new[] { 0.0, 0.5, 1.0 })]
    [InlineData("3:3:1", new[] { 3.0 })]
    public void Alphas_Parse_Accepts(string text, double[] expected) => CoordinateSpec.ParseAlphas(text).Should().Equal(expected);

    [Theory]
    [InlineData("1:2")]
    [InlineData("a,b")]
    [InlineData("0:1:0")]
    [InlineData("")]
    public void Alphas_Parse_RejectsWithSyntax(string text) =>
        FluentActions.Invoking(() => CoordinateSpec.ParseAlphas(text)).Should().Throw<LossLandscapeException>().WithMessage("*START:STOP:COUNT*");
}
