using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Curvature;

public class BatchSourceCurvatureTests
{
    private static nn.Module<Tensor, Tensor> Linear(int d, int outputs, int seed)
    {
        manual_seed(seed);
        var m = nn.Linear(d, outputs, hasBias: false);
        m.to(ScalarType.Float64);
        return m;
    }

    [Fact]
    public void Hessian_OfLeastSquaresRegression_Is2XtXOverN_WithFloatTargets()
    {
        using var scope = NewDisposeScope();
        using var model = Linear(5, 1, seed: 1);
        var gen = new Generator(7);
        var x = randn(new long[] { 13, 5 }, dtype: ScalarType.Float64, generator: gen);
        var y = randn(new long[] { 13 }, dtype: ScalarType.Float64, generator: gen);
        // Batches of 4 on 13 examples: 4, 4, 4 and an uneven 1.
        var op = new HessianOperator(model, new SquaredErrorLoss(), BatchSource.FromTensors(x, y, batchSize: 4));
        var h = CurvatureReference.Matrix(op);
        var expected = x.t().matmul(x).mul(2.0 / 13);
        CurvatureReference.RelativeError(h, expected).Should().BeLessThan(1e-12);
        // The loss is that of the whole set: (1/N) sum_i (w.x_i - y_i)^2.
        var w = model.parameters().First().detach().reshape(5);
        double direct = x.matmul(w).sub(y).square().mean().item<double>();
        op.EvaluateLoss().Should().BeApproximately(direct, 1e-12);
        // The caller's tensors are still the caller's.
        x.IsInvalid.Should().BeFalse();
        y.sum().item<double>().Should().NotBe(double.NaN);
    }

    [Fact]
    public void Hessian_OfMultiOutputRegression_IsBlockDiagonal2XtXOverN()
    {
        using var scope = NewDisposeScope();
        using var model = Linear(3, 2, seed: 2);
        var gen = new Generator(3);
        var x = randn(new long[] { 9, 3 }, dtype: ScalarType.Float64, generator: gen);
        var y = randn(new long[] { 9, 2 }, dtype: ScalarType.Float64, generator: gen);
        var h = CurvatureReference.Matrix(new HessianOperator(model, new SquaredErrorLoss(), BatchSource.FromTensors(x, y, batchSize: 2)));
        var block = x.t().matmul(x).mul(2.0 / 9);
        var expected = zeros(6, 6, dtype: ScalarType.Float64);
        expected[TensorIndex.Slice(0, 3), TensorIndex.Slice(0, 3)] = block;
        expected[TensorIndex.Slice(3, 6), TensorIndex.Slice(3, 6)] = block;
        CurvatureReference.RelativeError(h, expected).Should().BeLessThan(1e-12);
        // For a linear model the residual part vanishes: G = H.
        var g = CurvatureReference.Matrix(new GaussNewtonOperator(model, new SquaredErrorLoss(), BatchSource.FromTensors(x, y, batchSize: 4)));
        CurvatureReference.RelativeError(g, expected).Should().BeLessThan(1e-12);
    }

    [Fact]
    public void FromBatches_GivesTheSameOperatorAsTheTensors()
    {
        using var scope = NewDisposeScope();
        using var model = TestUtil.TinyMlp(4, 4, 5, 3);
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(11, 4, 3, seed: 5);
        var batches = new List<(Tensor, Tensor)>
        {
            (data.Inputs.narrow(0, 0, 6), data.Labels.narrow(0, 0, 6)),
            (data.Inputs.narrow(0, 6, 5), data.Labels.narrow(0, 6, 5)),
        };
        var fromSequence = CurvatureReference.Matrix(new HessianOperator(model, new CrossEntropyLoss(), BatchSource.FromBatches(() => batches, 11)));
        var fromDataset = CurvatureReference.Matrix(new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 3)));
        CurvatureReference.RelativeError(fromSequence, fromDataset).Should().BeLessThan(1e-12);
    }

    [Fact]
    public void FromBatches_WithAWrongCount_SaysSo()
    {
        using var scope = NewDisposeScope();
        using var model = TestUtil.TinyMlp(4, 4, 3);
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(8, 4, 3, seed: 6);
        var batches = new[] { (data.Inputs, data.Labels) };
        // Found when the operator is built (the label check reads every batch), not half-way through a spectrum.
        var act = () => new HessianOperator(model, new CrossEntropyLoss(), BatchSource.FromBatches(() => batches, 10));
        act.Should().Throw<LossLandscapeException>().WithMessage("*held 8 examples, not the 10 given*");
        var tooFew = () => new HessianOperator(model, new CrossEntropyLoss(), BatchSource.FromBatches(() => batches, 5));
        tooFew.Should().Throw<LossLandscapeException>().WithMessage("*more than the 5 examples*");
    }

    [Fact]
    public void ClassificationLoss_WithFloatTargets_IsRejectedBeforeAnyProduct()
    {
        using var scope = NewDisposeScope();
        using var model = Linear(3, 2, seed: 3);
        var x = randn(new long[] { 6, 3 }, dtype: ScalarType.Float64);
        var y = randn(new long[] { 6, 2 }, dtype: ScalarType.Float64);
        var ce = () => new HessianOperator(model, new CrossEntropyLoss(), BatchSource.FromTensors(x, y));
        ce.Should().Throw<LossLandscapeException>().WithMessage("*ce loss needs int64 class labels*squared-error*");
        var wrongShape = () => new HessianOperator(model, new SquaredErrorLoss(), BatchSource.FromTensors(x, randn(new long[] { 6, 3 }, dtype: ScalarType.Float64)));
        wrongShape.Should().Throw<LossLandscapeException>().WithMessage("*targets with 3 value(s) per example do not fit the model's 2 output(s)*[N, 2]*");
        var badLength = () => BatchSource.FromTensors(x, randn(new long[] { 5 }, dtype: ScalarType.Float64));
        badLength.Should().Throw<LossLandscapeException>().WithMessage("*N = 6*");
    }

    [Fact]
    public void Objective_GradientMatchesTheHessianOfAQuadratic()
    {
        // For least squares, grad L(w) = (2/N) X^T (X w - y) exactly.
        using var scope = NewDisposeScope();
        using var model = Linear(4, 1, seed: 4);
        var x = randn(new long[] { 10, 4 }, dtype: ScalarType.Float64);
        var y = randn(new long[] { 10, 1 }, dtype: ScalarType.Float64);
        var objective = new Objective(model, new SquaredErrorLoss(), BatchSource.FromTensors(x, y, batchSize: 3));
        var (loss, g) = objective.ValueAndGradient();
        var w = model.parameters().First().detach().reshape(4, 1);
        var r = x.matmul(w).sub(y);
        CurvatureReference.RelativeError(g, x.t().matmul(r).mul(2.0 / 10).reshape(4)).Should().BeLessThan(1e-12);
        loss.Should().BeApproximately(r.square().mean().item<double>(), 1e-12);
    }

    [Fact]
    public void ModelStateScope_EnterMode_PutsModesAndBuffersBack()
    {
        using var scope = NewDisposeScope();
        using var bn = nn.BatchNorm1d(3);
        bn.to(ScalarType.Float64);
        bn.eval();
        var before = bn.running_mean!.clone();
        using (ModelStateScope.EnterMode(bn, training: true))
        {
            bn.training.Should().BeTrue();
            using var _ = no_grad();
            bn.call(randn(new long[] { 8, 3 }, dtype: ScalarType.Float64).add(5));
            bn.running_mean!.sub(before).abs().max().item<double>().Should().BeGreaterThan(0.1);
        }
        bn.training.Should().BeFalse();
        bn.running_mean!.sub(before).abs().max().item<double>().Should().Be(0);
    }
}
