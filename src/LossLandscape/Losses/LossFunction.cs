using static TorchSharp.torch;

namespace LossLandscape.Losses;

/// <summary>
/// A loss l(s, y) of the network output s = f(w; x) and the label y, with the structure the Gauss-Newton split needs:
/// the mean loss L = (1/P) sum_i l(s_i, y_i), the gradient dl/ds and the output Hessian d^2 l/ds^2 applied to a vector.
/// </summary>
/// <remarks>
/// The Hessian of L splits as H = G + R with G = (1/P) sum_i J_i^T (d^2 l/ds^2)_i J_i and
/// R = (1/P) sum_i sum_c (dl/ds_c)_i d^2 f_c/dw^2 (Sagun et al. 2017; Papyan 2019).
/// </remarks>
public abstract class LossFunction
{
    /// <summary>Short name used on the command line: <c>ce</c>, <c>mse</c> or <c>hinge</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// How the per-example losses combine into the objective: the mean over the N examples of the data (every loss
    /// here; for the squared error the per-example loss sums over the output coordinates). The curvature operators,
    /// probes and the trainer weight a batch of B examples by B / N accordingly.
    /// </summary>
    public string Reduction => "mean over examples";

    /// <summary>Whether the loss accepts floating-point regression targets (only the squared error does); all losses accept int64 class labels.</summary>
    public virtual bool AcceptsFloatTargets => false;

    /// <summary>
    /// Checks that targets of dtype <paramref name="targetType"/> and shape <paramref name="targetShape"/> fit a model
    /// output of shape <paramref name="outputShape"/> ([B, C]) for this loss.
    /// </summary>
    /// <exception cref="LossLandscapeException">The first mismatch, naming the output, the targets and what to change.</exception>
    public void CheckTargets(IReadOnlyList<long> outputShape, ScalarType targetType, IReadOnlyList<long> targetShape)
    {
        ArgumentNullException.ThrowIfNull(outputShape);
        ArgumentNullException.ThrowIfNull(targetShape);
        string os = "[" + string.Join(", ", outputShape) + "]", ts = "[" + string.Join(", ", targetShape) + "]";
        if (outputShape.Count != 2)
            throw new LossLandscapeException($"The model's output must be [B, C] (one row of scores per example); got shape {os}.");
        if (targetType == ScalarType.Int64)
        {
            if (targetShape.Count != 1)
                throw new LossLandscapeException($"Class labels must be [B]; got shape {ts}.");
            if (outputShape[1] == 1 && this is not SquaredErrorLoss)
                throw new LossLandscapeException($"A model with one output needs the squared-error loss (targets +-1); the {Name} loss needs one output per class.");
            return;
        }
        if (!AcceptsFloatTargets)
            throw new LossLandscapeException($"The {Name} loss needs int64 class labels; the targets are {targetType}. Use the squared-error loss for regression targets, or give class labels.");
        bool fits = targetShape.Count == 2 ? targetShape[1] == outputShape[1] : outputShape[1] == 1;
        if (!fits)
        {
            long perExample = targetShape.Count == 2 ? targetShape[1] : 1;
            throw new LossLandscapeException($"Regression targets with {perExample} value(s) per example do not fit the model's {outputShape[1]} output(s): give targets [N, {outputShape[1]}]{(outputShape[1] == 1 ? " or [N]" : "")}, or change the model's output size.");
        }
    }

    /// <summary>
    /// Per-sample losses l(s_i, y_i), shape [P]. <paramref name="output"/> is [P, C]; <paramref name="labels"/> holds int64
    /// class labels [P] or, for a loss that <see cref="AcceptsFloatTargets"/>, floating-point targets [P] or [P, C].
    /// </summary>
    public abstract Tensor PerSample(Tensor output, Tensor labels);

    /// <summary>The mean loss (1/P) sum_i l(s_i, y_i), a scalar.</summary>
    public virtual Tensor Mean(Tensor output, Tensor labels) => PerSample(output, labels).mean();

    /// <summary>dl/ds for each sample, shape [P, C] (of the per-sample loss, not divided by P).</summary>
    public abstract Tensor OutputGradient(Tensor output, Tensor labels);

    /// <summary>(d^2 l / ds^2)_i u_i for each sample, shape [P, C] (of the per-sample loss, not divided by P).</summary>
    public abstract Tensor OutputHessianProduct(Tensor output, Tensor labels, Tensor u);

    /// <summary>Number of correct predictions in the batch (argmax of the output; the sign for one output); 0 for regression targets, which have no classes.</summary>
    public virtual long Correct(Tensor output, Tensor labels)
    {
        if (labels.dtype != ScalarType.Int64) return 0;
        using var scope = NewDisposeScope();
        var pred = output.shape[1] == 1 ? output.squeeze(1).gt(0).to(ScalarType.Int64) : output.argmax(1);
        return pred.eq(labels).sum().item<long>();
    }

    /// <summary>Two losses are equal when they are of the same kind (they hold no other state).</summary>
    public override bool Equals(object? obj) => obj is LossFunction other && other.GetType() == GetType();

    /// <inheritdoc />
    public override int GetHashCode() => GetType().GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>One-hot targets [P, C] in the output's dtype.</summary>
    protected static Tensor OneHot(Tensor output, Tensor labels) =>
        nn.functional.one_hot(labels, output.shape[1]).to(output.dtype);
}

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
