using static TorchSharp.torch;

namespace LossLandscape.Losses;

/// <summary>
/// Multi-class hinge (Weston-Watkins): l(s, y) = sum_{c != y} max(0, 1 - s_y + s_c), averaged over samples.
/// Piecewise linear, so d^2l/ds^2 = 0 almost everywhere: the Gauss-Newton part vanishes and H = R.
/// </summary>
public sealed class MultiClassHingeLoss : LossFunction
{
    /// <inheritdoc />
    public override string Name => "hinge";

    /// <inheritdoc />
    public override Tensor PerSample(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var sy = output.gather(1, labels.unsqueeze(1));
        var margins = (output - sy + 1).clamp_min(0);
        var mask = 1 - OneHot(output, labels);
        return (margins * mask).sum(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor OutputGradient(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var sy = output.gather(1, labels.unsqueeze(1));
        var active = (output - sy + 1).gt(0).to(output.dtype) * (1 - OneHot(output, labels));
        var g = active - OneHot(output, labels) * active.sum(1, keepdim: true);
        return g.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor OutputHessianProduct(Tensor output, Tensor labels, Tensor u) => zeros_like(u);
}
