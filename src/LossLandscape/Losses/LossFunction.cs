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
