using static TorchSharp.torch;

namespace LossLandscape.Losses;

/// <summary>
/// Cross-entropy (negative log-likelihood of the softmax): l(s, y) = -s_y + log sum_c exp(s_c), averaged over samples.
/// dl/ds = p - e_y with p = softmax(s); d^2l/ds^2 = diag(p) - p p^T.
/// </summary>
public sealed class CrossEntropyLoss : LossFunction
{
    /// <inheritdoc />
    public override string Name => "ce";

    /// <inheritdoc />
    public override Tensor PerSample(Tensor output, Tensor labels) =>
        nn.functional.cross_entropy(output, labels, reduction: nn.Reduction.None);

    /// <inheritdoc />
    public override Tensor Mean(Tensor output, Tensor labels) => nn.functional.cross_entropy(output, labels);

    /// <inheritdoc />
    public override Tensor OutputGradient(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return (output.softmax(1) - OneHot(output, labels)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor OutputHessianProduct(Tensor output, Tensor labels, Tensor u)
    {
        using var scope = NewDisposeScope();
        var p = output.softmax(1);
        return (p * u - p * (p * u).sum(1, keepdim: true)).MoveToOuterDisposeScope();
    }
}
