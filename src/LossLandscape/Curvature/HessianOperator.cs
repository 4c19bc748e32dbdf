using LossLandscape.Data;
using LossLandscape.Losses;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// The Hessian H = d^2 L / dw^2 of the mean loss L(w) = (1/P) sum_i l(f(w; x_i), y_i) over a data set (or a subset, or
/// one batch), applied to vectors by double backward (Pearlmutter 1994), batch by batch.
/// </summary>
/// <remarks>
/// H v = sum_k (|B_k| / P) d/dw [ (dL_k/dw) . v ], with L_k the mean loss of batch B_k. One application costs one
/// forward and two backward passes per batch. See <see cref="CurvatureOperator"/> for batching and modes.
/// </remarks>
public sealed class HessianOperator : CurvatureOperator
{
    /// <summary>Builds H for <paramref name="model"/>, <paramref name="loss"/> and the first <see cref="CurvatureOptions.Subset"/> examples of <paramref name="data"/> in batches of <see cref="CurvatureOptions.BatchSize"/>.</summary>
    /// <exception cref="LossLandscapeException">Model, loss and data do not fit (see <see cref="CurvatureOperator"/>).</exception>
    public HessianOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, CurvatureOptions? options = null)
        : base(model, loss, data, options)
    {
    }

    /// <summary>Builds H for <paramref name="model"/>, <paramref name="loss"/> and the batches of <paramref name="data"/> (class labels or regression targets; the tensors stay the caller's).</summary>
    /// <exception cref="LossLandscapeException">Model, loss and data do not fit (see <see cref="CurvatureOperator"/>).</exception>
    public HessianOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data, CurvatureOptions? options = null)
        : base(model, loss, data, options)
    {
    }

    /// <inheritdoc />
    public override string Name => "hessian";

    /// <inheritdoc />
    protected override IReadOnlyList<Tensor?> ApplyBatch(Tensor x, Tensor y, IReadOnlyList<Tensor> v) =>
        CurvatureProducts.Hessian(Model.call(x), y, Loss, Parameters, v, retainGraph: false);
}
