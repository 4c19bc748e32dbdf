using static TorchSharp.torch;

namespace LossLandscape.Losses;

/// <summary>
/// Squared error: l(s, t) = sum_c (s_c - t_c)^2, averaged over samples, with t = e_y (one-hot) for class labels, or the
/// given floating-point targets for regression (so for a linear model and least squares, H = 2 X^T X / P). With a
/// single output and class labels the target is +1 for label 1 and -1 for label 0.
/// dl/ds = 2 (s - t); d^2l/ds^2 = 2 I.
/// </summary>
public sealed class SquaredErrorLoss : LossFunction
{
    /// <inheritdoc />
    public override string Name => "mse";

    /// <inheritdoc />
    public override bool AcceptsFloatTargets => true;

    /// <summary>The regression targets t [P, C]: float targets as given ([P] becomes [P, 1]); for class labels one-hot, or +-1 for a single output.</summary>
    public static Tensor Targets(Tensor output, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.is_floating_point()) return (labels.dim() == 1 ? labels.unsqueeze(1) : labels).to(output.dtype);
        return output.shape[1] == 1 ? (labels.to(output.dtype) * 2 - 1).unsqueeze(1) : OneHot(output, labels);
    }

    /// <inheritdoc />
    public override Tensor PerSample(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return (output - Targets(output, labels)).square().sum(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor OutputGradient(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return ((output - Targets(output, labels)) * 2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor OutputHessianProduct(Tensor output, Tensor labels, Tensor u) => u * 2;
}
