using LossLandscape.Data;
using LossLandscape.Losses;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// The generalized Gauss-Newton matrix G = (1/P) sum_i J_i^T H_loss,i J_i, with J_i = d f(w; x_i) / dw the Jacobian of the
/// network output and H_loss,i = d^2 l / ds^2 the loss Hessian in output space (Schraudolph 2002; Martens 2010).
/// </summary>
/// <remarks>
/// H_loss = diag(p) - p p^T for cross-entropy (p = softmax(s)), 2 I for squared error, 0 for the hinge loss, so G is
/// positive semi-definite. TorchSharp has no forward-mode AD; J v comes from the double-vjp trick:
/// with u a dummy of the output's shape, J v = d/du [ (J^T u) . v ]. Then G_B v = J^T (H_loss J v) / |B|.
/// One application costs one forward and three backward passes per batch.
/// </remarks>
public sealed class GaussNewtonOperator : CurvatureOperator
{
    /// <summary>Builds G for <paramref name="model"/>, <paramref name="loss"/> and the first <see cref="CurvatureOptions.Subset"/> examples of <paramref name="data"/> in batches of <see cref="CurvatureOptions.BatchSize"/>.</summary>
    /// <exception cref="LossLandscapeException">Model, loss and data do not fit (see <see cref="CurvatureOperator"/>).</exception>
    public GaussNewtonOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, CurvatureOptions? options = null)
        : base(model, loss, data, options)
    {
    }

    /// <summary>Builds G for <paramref name="model"/>, <paramref name="loss"/> and the batches of <paramref name="data"/> (class labels or regression targets; the tensors stay the caller's).</summary>
    /// <exception cref="LossLandscapeException">Model, loss and data do not fit (see <see cref="CurvatureOperator"/>).</exception>
    public GaussNewtonOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data, CurvatureOptions? options = null)
        : base(model, loss, data, options)
    {
    }

    /// <inheritdoc />
    public override string Name => "ggn";

    /// <inheritdoc />
    protected override IReadOnlyList<Tensor?> ApplyBatch(Tensor x, Tensor y, IReadOnlyList<Tensor> v) =>
        CurvatureProducts.GaussNewton(Model.call(x), y, Loss, Parameters, v);
}
