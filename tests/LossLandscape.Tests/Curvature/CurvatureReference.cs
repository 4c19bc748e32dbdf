using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Models;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Curvature;

/// <summary>
/// Independent dense references: the MLP written as a function of ONE flat parameter vector, the losses written out by
/// hand, and the Hessian / Gauss-Newton matrices built column by column by autograd on that flat vector.
/// </summary>
internal static class CurvatureReference
{
    public static Dataset Data(int p, int d, int classes, int seed, ScalarType dtype = ScalarType.Float64)
    {
        using var g = new Generator((ulong)seed, CPU);
        var x = randn(new long[] { p, d }, dtype: ScalarType.Float64, generator: g).to(dtype);
        var y = randint(0, classes, new long[] { p }, generator: g, dtype: ScalarType.Int64);
        return new Dataset("synthetic", x, y, Enumerable.Range(0, Math.Max(classes, 2)).Select(i => i.ToString()).ToArray());
    }

    public static Tensor Output(Tensor w, Tensor x, IReadOnlyList<int> widths, Activation act)
    {
        long off = 0;
        var h = x;
        for (int i = 0; i + 1 < widths.Count; i++)
        {
            int din = widths[i], dout = widths[i + 1];
            var weight = w.narrow(0, off, (long)din * dout).view(dout, din);
            off += (long)din * dout;
            var bias = w.narrow(0, off, dout);
            off += dout;
            h = h.matmul(weight.t()) + bias;
            if (i + 2 < widths.Count)
                h = act switch { Activation.Tanh => h.tanh(), Activation.Sigmoid => h.sigmoid(), _ => h.relu() };
        }
        return h;
    }

    public static Tensor Loss(string loss, Tensor s, Tensor y)
    {
        long c = s.shape[1];
        var onehot = nn.functional.one_hot(y, c).to(s.dtype);
        switch (loss)
        {
            case "ce":
                var lse = s.exp().sum(1).log();
                return (lse - (s * onehot).sum(1)).mean();
            case "mse":
                var t = c == 1 ? (y.to(s.dtype) * 2 - 1).unsqueeze(1) : onehot;
                return (s - t).pow(2).sum(1).mean();
            case "hinge":
                var sy = (s * onehot).sum(1, keepdim: true);
                return ((s - sy + 1).relu() * (1 - onehot)).sum(1).mean();
            default:
                throw new ArgumentException(loss);
        }
    }

    /// <summary>d^2 L / dw^2 over the whole data set, column by column.</summary>
    public static Tensor DenseHessian(Mlp model, string loss, Dataset data)
    {
        var space = new ParameterSpace(model);
        var w = space.Get().requires_grad_(true);
        var l = Loss(loss, Output(w, data.Inputs, model.Widths, model.Activation), data.Labels);
        var g = torch.autograd.grad(new[] { l }, new[] { w }, retain_graph: true, create_graph: true)[0];
        long n = w.shape[0];
        var h = zeros(n, n, dtype: ScalarType.Float64);
        for (long i = 0; i < n; i++)
        {
            var col = torch.autograd.grad(new[] { g[i] }, new[] { w }, retain_graph: true, allow_unused: false)[0];
            h[TensorIndex.Colon, TensorIndex.Single(i)] = col.detach();
        }
        return (h + h.t()) / 2;
    }

    /// <summary>G = (1/P) sum_i J_i^T H_loss,i J_i with J from autograd row by row and H_loss written out.</summary>
    public static Tensor DenseGgn(Mlp model, string loss, Dataset data)
    {
        var space = new ParameterSpace(model);
        var w = space.Get().requires_grad_(true);
        var s = Output(w, data.Inputs, model.Widths, model.Activation);
        long p = s.shape[0], c = s.shape[1], n = w.shape[0];
        var g = zeros(n, n, dtype: ScalarType.Float64);
        for (long i = 0; i < p; i++)
        {
            var j = zeros(c, n, dtype: ScalarType.Float64);
            for (long k = 0; k < c; k++)
                j[TensorIndex.Single(k)] = torch.autograd.grad(new[] { s[i, k] }, new[] { w }, retain_graph: true)[0].detach();
            Tensor hl;
            if (loss == "ce")
            {
                var pr = s[i].detach().softmax(0);
                hl = diag(pr) - pr.outer(pr);
            }
            else if (loss == "mse") hl = eye(c, dtype: ScalarType.Float64) * 2;
            else hl = zeros(c, c, dtype: ScalarType.Float64);
            g += j.t().matmul(hl).matmul(j);
        }
        return g / p;
    }

    /// <summary>The operator as a matrix, A e_i column by column.</summary>
    public static Tensor Matrix(ISymmetricOperator op)
    {
        long n = op.Dimension;
        var m = zeros(n, n, dtype: op.DType);
        for (long i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            var e = zeros(n, dtype: op.DType);
            e[i] = 1.0;
            m[TensorIndex.Colon, TensorIndex.Single(i)] = op.Apply(e);
        }
        return m;
    }

    public static double RelativeError(Tensor a, Tensor b) =>
        (a - b).norm().item<double>() / Math.Max(b.norm().item<double>(), 1e-300);
}
