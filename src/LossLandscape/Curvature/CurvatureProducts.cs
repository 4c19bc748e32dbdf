using LossLandscape.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>The autograd recipes for one batch, shared by the Hessian, Gauss-Newton and residual operators.</summary>
internal static class CurvatureProducts
{
    /// <summary>
    /// H_B v for the batch mean loss by double backward: g = dL_B/dw (with create_graph), then d(g . v)/dw.
    /// </summary>
    public static Tensor[] Hessian(Tensor output, Tensor labels, LossFunction loss, Tensor[] ps, IReadOnlyList<Tensor> v, bool retainGraph)
    {
        var l = loss.Mean(output, labels) + CurvatureOperator.Anchor(ps);
        var g = torch.autograd.grad(new[] { l }, ps, retain_graph: true, create_graph: true);
        var dot = Dot(g, v) + CurvatureOperator.Anchor(ps);
        return torch.autograd.grad(new[] { dot }, ps, retain_graph: retainGraph).ToArray();
    }

    /// <summary>
    /// G_B v = (1/|B|) sum_i J_i^T H_loss,i J_i v. J v by the double-vjp trick: with a dummy u of the output's shape,
    /// g(u) = J^T u (create_graph), then J v = d(g(u) . v)/du; then J^T (H_loss J v) / |B| by one more vjp.
    /// </summary>
    public static Tensor[] GaussNewton(Tensor output, Tensor labels, LossFunction loss, Tensor[] ps, IReadOnlyList<Tensor> v)
    {
        var anchor = CurvatureOperator.Anchor(ps);
        var u = zeros_like(output).requires_grad_(true);
        var one = ones_like(anchor);
        var jtu = torch.autograd.grad(new[] { output, anchor }, ps, new[] { u, one }, retain_graph: true, create_graph: true);
        var dot = Dot(jtu, v) + u.mul(0.0).sum();
        var jv = torch.autograd.grad(new[] { dot }, new[] { u }, retain_graph: true)[0];
        var w = loss.OutputHessianProduct(output.detach(), labels, jv).div(output.shape[0]);
        return torch.autograd.grad(new[] { output, anchor }, ps, new[] { w, zeros_like(anchor) }).ToArray();
    }

    private static Tensor Dot(IList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        Tensor? sum = null;
        for (int i = 0; i < a.Count; i++)
        {
            var t = a[i].mul(b[i]).sum();
            sum = sum is null ? t : sum + t;
        }
        return sum!;
    }
}
