using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using static TorchSharp.torch;

namespace LossLandscape.Specs;

/// <summary>Builds a curvature operator by name.</summary>
public static class CurvatureOperators
{
    /// <summary>The operator names the Create methods accept.</summary>
    public const string Syntax = "hessian, ggn (generalized Gauss-Newton) or residual (Hessian minus Gauss-Newton)";

    /// <summary>Creates the <c>hessian</c>, <c>ggn</c> or <c>residual</c> operator.</summary>
    /// <exception cref="LossLandscapeException">Another name, or model, loss and data that do not fit.</exception>
    public static CurvatureOperator Create(string? name, nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, CurvatureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var o = options ?? new CurvatureOptions();
        return Create(name, model, loss, BatchSource.FromDataset(data, o.BatchSize, o.Subset), o);
    }

    /// <summary>Creates the <c>hessian</c>, <c>ggn</c> or <c>residual</c> operator over a batch source.</summary>
    /// <exception cref="LossLandscapeException">Another name, or model, loss and data that do not fit.</exception>
    public static CurvatureOperator Create(string? name, nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data, CurvatureOptions? options = null) =>
        (name ?? "hessian").Trim().ToLowerInvariant() switch
        {
            "hessian" or "h" => new HessianOperator(model, loss, data, options),
            "ggn" or "gauss-newton" or "gn" or "g" => new GaussNewtonOperator(model, loss, data, options),
            "residual" or "r" => new ResidualOperator(model, loss, data, options),
            _ => throw new LossLandscapeException($"Operator '{name}' is not known: use {Syntax}."),
        };
}
