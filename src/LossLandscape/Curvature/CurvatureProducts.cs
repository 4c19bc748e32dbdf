using LossLandscape.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>The autograd recipes for one batch, shared by the Hessian, Gauss-Newton and residual operators.</summary>
/// <remarks>
/// A parameter the differentiated scalar does not depend on (a layer the forward pass skips; the last layer's bias in
/// g . v under the hinge loss, whose gradient there is constant) comes back from autograd as "undefined" and is
/// returned as null, which <see cref="Parameters.ParameterSpace.Flatten"/> reads as zeros. A scalar that depends on
/// none of the parameters is never handed to autograd (that would abort the process): its derivative is all nulls.
/// </remarks>
internal static class CurvatureProducts
{
    /// <summary>
    /// H_B v for the batch mean loss by double backward: g = dL_B/dw (with create_graph), then d(g . v)/dw.
    /// </summary>
    public static Tensor?[] Hessian(Tensor output, Tensor labels, LossFunction loss, Tensor[] ps, IReadOnlyList<Tensor> v, bool retainGraph)
    {
        var l = loss.Mean(output, labels);
        if (!l.requires_grad) return new Tensor?[ps.Length];
        var g = Grad(l, ps, create: true, retain: true);
        return VectorJacobian(g, ps, v, retainGraph);
    }

    /// <summary>
    /// G_B v = (1/|B|) sum_i J_i^T H_loss,i J_i v. J v by the double-vjp trick: with a dummy u of the output's shape,
    /// g(u) = J^T u (create_graph), then J v = d(g(u) . v)/du; then J^T (H_loss J v) / |B| by one more vjp.
    /// </summary>
    public static Tensor?[] GaussNewton(Tensor output, Tensor labels, LossFunction loss, Tensor[] ps, IReadOnlyList<Tensor> v)
    {
        if (!output.requires_grad) return new Tensor?[ps.Length];
        var u = zeros_like(output).requires_grad_(true);
        var jtu = Defined(torch.autograd.grad(new[] { output }, ps, new[] { u }, retain_graph: true, create_graph: true, allow_unused: true));
        var jv = VectorJacobian(jtu, new[] { u }, v, retain: true)[0] ?? zeros_like(output);
        var w = loss.OutputHessianProduct(output.detach(), labels, jv).div(output.shape[0]);
        return Defined(torch.autograd.grad(new[] { output }, ps, new[] { w }, allow_unused: true));
    }

    private static Tensor?[] Grad(Tensor scalar, Tensor[] ps, bool create, bool retain) =>
        Defined(torch.autograd.grad(new[] { scalar }, ps, retain_graph: retain || create, create_graph: create, allow_unused: true));

    /// <summary>Autograd's results with the undefined ones (inputs the output does not depend on) as null.</summary>
    private static Tensor?[] Defined(IList<Tensor> results)
    {
        var r = new Tensor?[results.Count];
        for (int i = 0; i < r.Length; i++)
        {
            var t = results[i];
            if (t.IsInvalid) t.Dispose();
            else r[i] = t;
        }
        return r;
    }

    /// <summary>
    /// d(sum_i y_i . v_i)/dx as one vector-Jacobian product (no dot-product graph), over the y_i that depend on the
    /// inputs; all nulls when none does.
    /// </summary>
    private static Tensor?[] VectorJacobian(IReadOnlyList<Tensor?> ys, Tensor[] inputs, IReadOnlyList<Tensor> v, bool retain)
    {
        var live = Enumerable.Range(0, ys.Count).Where(i => ys[i] is { requires_grad: true }).ToArray();
        if (live.Length == 0) return new Tensor?[inputs.Length];
        return Defined(torch.autograd.grad(live.Select(i => ys[i]!).ToArray(), inputs, live.Select(i => v[i]).ToArray(),
            retain_graph: retain, allow_unused: true));
    }
}
