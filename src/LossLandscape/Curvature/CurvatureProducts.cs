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
        // d(g . v)/dw as one vector-Jacobian product of g with v (no dot-product graph): only the g_i that depend on
        // the parameters take part.
        var live = Enumerable.Range(0, ps.Length).Where(i => g[i] is { requires_grad: true }).ToArray();
        if (live.Length == 0) return new Tensor?[ps.Length];
        return Defined(torch.autograd.grad(live.Select(i => g[i]!).ToArray(), ps, live.Select(i => v[i]).ToArray(),
            retain_graph: retainGraph, allow_unused: true));
    }

    /// <summary>The batch mean loss L_B and dL_B/dw (null where L_B does not depend on a parameter).</summary>
    public static (Tensor Loss, Tensor?[] Gradient) LossAndGradient(Tensor output, Tensor labels, LossFunction loss, Tensor[] ps)
    {
        var l = loss.Mean(output, labels);
        return (l, l.requires_grad ? Grad(l, ps, create: false, retain: false) : new Tensor?[ps.Length]);
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
        var dot = Dot(jtu, v);
        Tensor jv = dot is null ? zeros_like(output) : Defined(torch.autograd.grad(new[] { dot }, new[] { u }, retain_graph: true, allow_unused: true))[0] ?? zeros_like(output);
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

    /// <summary>sum_i a_i . b_i over the a_i that depend on the parameters; null when none does.</summary>
    private static Tensor? Dot(IReadOnlyList<Tensor?> a, IReadOnlyList<Tensor> b)
    {
        Tensor? sum = null;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] is not { requires_grad: true } ai) continue;
            var t = ai.mul(b[i]).sum();
            sum = sum is null ? t : sum + t;
        }
        return sum;
    }
}
