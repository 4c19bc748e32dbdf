using LossLandscape.Data;
using LossLandscape.Losses;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// The residual R = H - G of the Hessian beyond the Gauss-Newton part:
/// R = (1/P) sum_i sum_c (dl/ds_c)_i d^2 f_c(w; x_i)/dw^2 (Sagun et al. 2017; Papyan 2019).
/// </summary>
/// <remarks>
/// R v = H v - G v, both from one forward pass per batch (the graph is kept for the Gauss-Newton part). R is symmetric
/// but indefinite; it vanishes for a model linear in its weights.
/// </remarks>
public sealed class ResidualOperator : CurvatureOperator
{
    /// <summary>Builds R for <paramref name="model"/>, <paramref name="loss"/> and the first <see cref="CurvatureOptions.Subset"/> examples of <paramref name="data"/> in batches of <see cref="CurvatureOptions.BatchSize"/>.</summary>
    /// <exception cref="LossLandscapeException">Model, loss and data do not fit (see <see cref="CurvatureOperator"/>).</exception>
    public ResidualOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, CurvatureOptions? options = null)
        : base(model, loss, data, options)
    {
    }

    /// <summary>Builds R for <paramref name="model"/>, <paramref name="loss"/> and the batches of <paramref name="data"/> (class labels or regression targets; the tensors stay the caller's).</summary>
    /// <exception cref="LossLandscapeException">Model, loss and data do not fit (see <see cref="CurvatureOperator"/>).</exception>
    public ResidualOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data, CurvatureOptions? options = null)
        : base(model, loss, data, options)
    {
    }

    /// <inheritdoc />
    public override string Name => "residual";

    /// <inheritdoc />
    protected override IReadOnlyList<Tensor?> ApplyBatch(Tensor x, Tensor y, IReadOnlyList<Tensor> v)
    {
        var output = Model.call(x);
        var hv = CurvatureProducts.Hessian(output, y, Loss, Parameters, v, retainGraph: true);
        var gv = CurvatureProducts.GaussNewton(output, y, Loss, Parameters, v);
        var r = new Tensor?[hv.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = (hv[i], gv[i]) switch
            {
                (null, null) => null,
                (var h, null) => h,
                (null, var g) => g!.neg(),
                var (h, g) => h!.sub_(g!),
            };
        return r;
    }
}
