using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Curvature;

public class CurvatureOperatorTests
{
    private static Mlp TanhMlp(int seed, params int[] widths)
    {
        manual_seed(seed);
        var m = new Mlp(widths, Activation.Tanh);
        m.to(ScalarType.Float64);
        return m;
    }

    [Theory]
    [InlineData("ce")]
    [InlineData("mse")]
    public void Apply_MatchesDenseHessian_ForTinyMlp(string lossName)
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(1, 4, 6, 3);
        using var data = CurvatureReference.Data(10, 4, 3, seed: 2);
        var h = CurvatureReference.DenseHessian(model, lossName, data);
        // Batch size 4 on 10 examples: batches of 4, 4 and an uneven 2.
        var op = new HessianOperator(model, LossSpec.Parse(lossName), data, new CurvatureOptions(BatchSize: 4));
        var m = CurvatureReference.Matrix(op);
        CurvatureReference.RelativeError(m, h).Should().BeLessThan(1e-8);
        op.Applications.Should().Be(op.Dimension);
    }

    [Fact]
    public void Apply_MatchesFiniteDifferencesOfGradients()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(3, 4, 5, 3);
        using var data = CurvatureReference.Data(12, 4, 3, seed: 4);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 5));
        manual_seed(5);
        var v = op.Space.Randn();
        v.div_(v.norm());
        var hv = op.Apply(v);
        const double eps = 1e-6;
        var origin = op.Space.Get();
        using (op.Space.Preserve())
        {
            op.Space.SetCombination(origin, (eps, v));
            var gPlus = op.LossAndGradient().Gradient;
            op.Space.SetCombination(origin, (-eps, v));
            var gMinus = op.LossAndGradient().Gradient;
            var fd = (gPlus - gMinus) / (2 * eps);
            CurvatureReference.RelativeError(hv, fd).Should().BeLessThan(1e-8);
        }
        (op.Space.Get() - origin).abs().max().item<double>().Should().Be(0);
    }

    [Fact]
    public void Apply_IsSymmetric_AndIndependentOfTheBatchSize()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(6, 4, 6, 3);
        using var data = CurvatureReference.Data(11, 4, 3, seed: 7);
        var loss = new CrossEntropyLoss();
        var whole = new HessianOperator(model, loss, data, new CurvatureOptions(BatchSize: 11));
        manual_seed(8);
        var u = whole.Space.Randn();
        var v = whole.Space.Randn();
        double uHv = ParameterSpace.Dot(u, whole.Apply(v));
        double vHu = ParameterSpace.Dot(v, whole.Apply(u));
        Math.Abs(uHv - vHu).Should().BeLessThan(1e-12 * Math.Abs(uHv) + 1e-14);
        var reference = whole.Apply(v);
        foreach (var b in new long[] { 1, 3, 4, 10 })
        {
            var op = new HessianOperator(model, loss, data, new CurvatureOptions(BatchSize: b));
            CurvatureReference.RelativeError(op.Apply(v), reference).Should().BeLessThan(1e-12, $"batch size {b} splits 11 examples unevenly");
        }
    }

    [Fact]
    public void ApplyInto_WritesTheSameProductInPlace_ForEveryOperatorAndBatching()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(12, 4, 6, 3);
        using var data = CurvatureReference.Data(11, 4, 3, seed: 13);
        var loss = new CrossEntropyLoss();
        foreach (long b in new long[] { 11, 4 })   // one batch (copied) and uneven batches (accumulated)
        {
            var opts = new CurvatureOptions(BatchSize: b);
            var ops = new CurvatureOperator[] { new HessianOperator(model, loss, data, opts), new GaussNewtonOperator(model, loss, data, opts), new ResidualOperator(model, loss, data, opts) };
            var h = CurvatureReference.DenseHessian(model, "ce", data);
            manual_seed(14);
            var v = ops[0].Space.Randn();
            // Rows of one matrix, as the Lanczos basis holds them; the row is overwritten whatever it held.
            var rows = full(3, ops[0].Dimension, double.NaN, dtype: ScalarType.Float64);
            for (int i = 0; i < ops.Length; i++)
            {
                ops[i].ApplyInto(v, rows[i]);
                (rows[i] - ops[i].Apply(v)).abs().max().item<double>().Should().Be(0, $"{ops[i].Name}, batch {b}: in place is the same computation");
                ops[i].Applications.Should().Be(2);
            }
            CurvatureReference.RelativeError(rows[0], h.mv(v)).Should().BeLessThan(1e-8);
            CurvatureReference.RelativeError(rows[1] + rows[2], rows[0]).Should().BeLessThan(1e-10);
        }
    }

    [Fact]
    public void ApplyInto_RejectsAnOutputThatDoesNotFit_OrIsTheInput()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(15, 3, 4, 2);
        using var data = CurvatureReference.Data(6, 3, 2, seed: 16);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data);
        var v = op.Space.Randn();
        var shortOut = () => op.ApplyInto(v, zeros(op.Dimension - 1, dtype: ScalarType.Float64));
        shortOut.Should().Throw<LossLandscapeException>().WithMessage($"*'output' must be a 1-D vector of {op.Dimension} elements*");
        var wrongType = () => op.ApplyInto(v, zeros(op.Dimension, dtype: ScalarType.Float32));
        wrongType.Should().Throw<LossLandscapeException>().WithMessage("*'output' has dtype Float32*Float64*");
        var itself = () => op.ApplyInto(v, v);
        itself.Should().Throw<LossLandscapeException>().WithMessage("*'output' is 'v' itself*separate vector*");
        op.Applications.Should().Be(0, "nothing was applied");
    }

    [Fact]
    public void GaussNewton_MatchesDenseGgn_AndResidualCompletesTheHessian()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(9, 3, 5, 3);
        using var data = CurvatureReference.Data(9, 3, 3, seed: 10);
        foreach (var name in new[] { "ce", "mse" })
        {
            var loss = LossSpec.Parse(name);
            var opts = new CurvatureOptions(BatchSize: 4);
            var g = CurvatureReference.Matrix(new GaussNewtonOperator(model, loss, data, opts));
            var r = CurvatureReference.Matrix(new ResidualOperator(model, loss, data, opts));
            var h = CurvatureReference.Matrix(new HessianOperator(model, loss, data, opts));
            CurvatureReference.RelativeError(g, CurvatureReference.DenseGgn(model, name, data)).Should().BeLessThan(1e-8, name);
            CurvatureReference.RelativeError(g + r, h).Should().BeLessThan(1e-10, name);
            double minEig = linalg.eigvalsh((g + g.t()) / 2).min().item<double>();
            double maxEig = linalg.eigvalsh((g + g.t()) / 2).max().item<double>();
            minEig.Should().BeGreaterThan(-1e-12 * maxEig, $"G is positive semi-definite for {name}");
        }
    }

    [Fact]
    public void LeastSquares_HessianEqualsGaussNewtonEqualsClosedForm()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = new Mlp(new[] { 5, 1 });
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(13, 5, 2, seed: 12);
        var loss = new SquaredErrorLoss();
        var opts = new CurvatureOptions(BatchSize: 5);
        var h = CurvatureReference.Matrix(new HessianOperator(model, loss, data, opts));
        var g = CurvatureReference.Matrix(new GaussNewtonOperator(model, loss, data, opts));
        var r = CurvatureReference.Matrix(new ResidualOperator(model, loss, data, opts));
        // Parameters in order: weight [1 x 5], then bias: the design matrix is [X, 1].
        var xt = cat(new[] { data.Inputs, ones(13, 1, dtype: ScalarType.Float64) }, 1);
        var closed = xt.t().matmul(xt) * 2 / 13;
        CurvatureReference.RelativeError(h, closed).Should().BeLessThan(1e-12);
        CurvatureReference.RelativeError(g, closed).Should().BeLessThan(1e-12);
        r.abs().max().item<double>().Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Hinge_HasZeroGaussNewton_SoTheResidualIsTheHessian()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(13, 3, 4, 3);
        using var data = CurvatureReference.Data(8, 3, 3, seed: 14);
        var loss = new MultiClassHingeLoss();
        var g = CurvatureReference.Matrix(new GaussNewtonOperator(model, loss, data));
        var r = CurvatureReference.Matrix(new ResidualOperator(model, loss, data));
        var h = CurvatureReference.Matrix(new HessianOperator(model, loss, data));
        g.abs().max().item<double>().Should().Be(0);
        CurvatureReference.RelativeError(r, h).Should().BeLessThan(1e-14);
        CurvatureReference.RelativeError(h, CurvatureReference.DenseHessian(model, "hinge", data)).Should().BeLessThan(1e-8);
        h.abs().max().item<double>().Should().BeGreaterThan(0, "the hidden layer's curvature is not zero");
    }

    [Fact]
    public void ParameterSubset_IsTheMatchingBlockOfTheDenseHessian()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(15, 3, 4, 3);
        using var data = CurvatureReference.Data(7, 3, 3, seed: 16);
        var full = CurvatureReference.DenseHessian(model, "ce", data);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(Include: CurvatureOptions.Prefixes("2.")));
        op.Dimension.Should().Be(4 * 3 + 3);
        long off = 3 * 4 + 4;
        var block = full.narrow(0, off, 15).narrow(1, off, 15);
        CurvatureReference.RelativeError(CurvatureReference.Matrix(op), block).Should().BeLessThan(1e-8);
    }

    [Fact]
    public void Subset_UsesTheFirstExamples()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(17, 3, 4, 3);
        using var data = CurvatureReference.Data(12, 3, 3, seed: 18);
        using var first = new Dataset("first", data.Inputs.narrow(0, 0, 5).clone(), data.Labels.narrow(0, 0, 5).clone(), data.ClassNames);
        var a = CurvatureReference.Matrix(new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 2, Subset: 5)));
        CurvatureReference.RelativeError(a, CurvatureReference.DenseHessian(model, "ce", first)).Should().BeLessThan(1e-8);
    }

    private sealed class BnNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _fc1 = nn.Linear(3, 5);
        private readonly nn.Module<Tensor, Tensor> _bn = nn.BatchNorm1d(5);
        private readonly nn.Module<Tensor, Tensor> _fc2 = nn.Linear(5, 3);

        public BnNet() : base("BnNet") => RegisterComponents();

        public override Tensor forward(Tensor x) => _fc2.call(_bn.call(_fc1.call(x)).tanh());
    }

    [Fact]
    public void BatchNorm_EvalByDefault_ModesAndStatisticsPutBack()
    {
        using var scope = NewDisposeScope();
        manual_seed(19);
        using var model = new BnNet();
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(10, 3, 3, seed: 20);
        using (no_grad()) model.call(data.Inputs); // training mode: moves the running statistics off their defaults
        var before = model.named_buffers().Select(b => b.buffer.clone()).ToArray();
        model.training.Should().BeTrue();
        var loss = new CrossEntropyLoss();
        manual_seed(21);
        var v = new ParameterSpace(model).Randn();
        var eval3 = new HessianOperator(model, loss, data, new CurvatureOptions(BatchSize: 3)).Apply(v);
        var eval10 = new HessianOperator(model, loss, data, new CurvatureOptions(BatchSize: 10)).Apply(v);
        CurvatureReference.RelativeError(eval3, eval10).Should().BeLessThan(1e-12, "in eval mode the batch split does not matter");
        var train3 = new HessianOperator(model, loss, data, new CurvatureOptions(BatchSize: 3, BatchNorm: BatchNormMode.Train)).Apply(v);
        CurvatureReference.RelativeError(train3, eval3).Should().BeGreaterThan(1e-6, "batch statistics change the function");
        model.training.Should().BeTrue();
        model.named_modules().All(m => m.module.training).Should().BeTrue();
        var after = model.named_buffers().Select(b => b.buffer).ToArray();
        for (int i = 0; i < before.Length; i++) (after[i] - before[i]).abs().max().to(ScalarType.Float64).item<double>().Should().Be(0);
    }

    /// <summary>An MLP plus a parameter its forward pass never touches (a frozen-out head, an unused embedding).</summary>
    private sealed class WithUnusedParameter : nn.Module<Tensor, Tensor>
    {
        private readonly Mlp inner;
        private readonly TorchSharp.Modules.Parameter extra;

        public WithUnusedParameter(Mlp mlp) : base(nameof(WithUnusedParameter))
        {
            inner = mlp;
            extra = nn.Parameter(ones(2, 3, dtype: ScalarType.Float64));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => inner.call(x);
    }

    [Theory]
    [InlineData("hessian")]
    [InlineData("ggn")]
    [InlineData("residual")]
    public void UnusedParameter_GetsZeroCurvature_AndTheRestMatchesTheDenseReference(string name)
    {
        using var scope = NewDisposeScope();
        using var mlp = TanhMlp(26, 3, 4, 3);
        using var model = new WithUnusedParameter(mlp);
        using var data = CurvatureReference.Data(9, 3, 3, seed: 27);
        var op = CurvatureOperators.Create(name, model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 4));
        var extra = op.Space.Blocks.Single(b => b.Name == "extra");
        extra.Count.Should().Be(6);
        // Dense references over the MLP's parameters, in the operator's order with the unused block left out.
        var keep = arange(op.Dimension, dtype: ScalarType.Int64);
        keep = cat(new[] { keep.narrow(0, 0, extra.Offset), keep.narrow(0, extra.Offset + 6, op.Dimension - extra.Offset - 6) });
        var m = CurvatureReference.Matrix(op);
        var h = CurvatureReference.DenseHessian(mlp, "ce", data);
        var g = CurvatureReference.DenseGgn(mlp, "ce", data);
        var expected = name switch { "hessian" => h, "ggn" => g, _ => h - g };
        CurvatureReference.RelativeError(m.index_select(0, keep).index_select(1, keep), expected).Should().BeLessThan(1e-8);
        m.narrow(0, extra.Offset, 6).abs().max().item<double>().Should().Be(0);
        m.narrow(1, extra.Offset, 6).abs().max().item<double>().Should().Be(0);
        var (_, grad) = op.LossAndGradient();
        grad.narrow(0, extra.Offset, 6).abs().max().item<double>().Should().Be(0);
        grad.index_select(0, keep).abs().max().item<double>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void ParametersTheGradientDoesNotDependOn_HaveZeroHessian_WithoutAbortingAutograd()
    {
        // Under the hinge loss the last layer's bias enters the loss only through which margins are active, so its
        // gradient is piecewise constant: g . v does not depend on any parameter when only that bias is included.
        using var scope = NewDisposeScope();
        using var model = TanhMlp(28, 3, 4, 3);
        using var data = CurvatureReference.Data(8, 3, 3, seed: 29);
        var include = new CurvatureOptions(Include: CurvatureOptions.Prefixes("2.bias"));
        foreach (var name in new[] { "hessian", "ggn", "residual" })
        {
            var op = CurvatureOperators.Create(name, model, new MultiClassHingeLoss(), data, include);
            op.Dimension.Should().Be(3);
            CurvatureReference.Matrix(op).abs().max().item<double>().Should().Be(0, name);
            op.LossAndGradient().Gradient.abs().max().item<double>().Should().BeGreaterThan(0);
        }
    }

    [Fact]
    public void Construction_RejectsMismatchedDataAndLabels()
    {
        using var scope = NewDisposeScope();
        using var model = TanhMlp(22, 3, 4, 3);
        using var f32 = CurvatureReference.Data(5, 3, 3, seed: 23, dtype: ScalarType.Float32);
        var dtype = () => new HessianOperator(model, new CrossEntropyLoss(), f32);
        dtype.Should().Throw<LossLandscapeException>().WithMessage("*Float32 inputs*Float64*");
        using var many = CurvatureReference.Data(5, 3, 7, seed: 24);
        var labels = () => new HessianOperator(model, new CrossEntropyLoss(), many);
        labels.Should().Throw<LossLandscapeException>().WithMessage("*Labels*3 output(s)*");
        using var ok = CurvatureReference.Data(5, 3, 3, seed: 25);
        var batch = () => new HessianOperator(model, new CrossEntropyLoss(), ok, new CurvatureOptions(BatchSize: 0));
        batch.Should().Throw<LossLandscapeException>().WithMessage("*Batch size 0*");
        var layer = () => new HessianOperator(model, new CrossEntropyLoss(), ok, new CurvatureOptions(Include: CurvatureOptions.Prefixes("9.")));
        layer.Should().Throw<LossLandscapeException>().WithMessage("*No trainable parameter matches*0.weight*");
        var name = () => CurvatureOperators.Create("fisher", model, new CrossEntropyLoss(), ok);
        name.Should().Throw<LossLandscapeException>().WithMessage("*'fisher' is not known*hessian*");
    }
}
