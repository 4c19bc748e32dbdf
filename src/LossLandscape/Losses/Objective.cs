using LossLandscape.Data;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Losses;

/// <summary>
/// The objective L(w) = (1/N) sum_i l(f(w; x_i), y_i) of a model, a loss and a batch source: its value, its value
/// and gradient, and the accumulation of its gradient into the parameters' <c>.grad</c>. The curvature operators, the
/// path search, the sharpness probe and the trainer all evaluate their losses through this one class.
/// </summary>
/// <remarks>
/// Batches B_1, ..., B_K of the source contribute their mean loss weighted by |B_k| / N, so the value and the gradient
/// are those of the whole set, the uneven last batch included, and memory is set by the batch size. Nothing here
/// changes the model's train/eval mode: callers choose it (<see cref="ModelStateScope"/>). Sums are accumulated in
/// float64.
/// </remarks>
public sealed class Objective
{
    /// <summary>The objective of <paramref name="model"/> under <paramref name="loss"/> over <paramref name="data"/>, differentiated by the parameters of <paramref name="space"/> (all trainable ones when null).</summary>
    public Objective(nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data, ParameterSpace? space = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Data = data ?? throw new ArgumentNullException(nameof(data));
        _space = space;
    }

    private ParameterSpace? _space;
    private Tensor[]? _parameters;

    /// <summary>The model.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The loss l(s, y).</summary>
    public LossFunction Loss { get; }

    /// <summary>The data.</summary>
    public BatchSource Data { get; }

    /// <summary>The parameters differentiated by.</summary>
    public ParameterSpace Space => _space ??= new ParameterSpace(Model);

    /// <summary>The live parameter tensors of <see cref="Space"/>.</summary>
    internal Tensor[] Parameters => _parameters ??= Space.Parameters.Cast<Tensor>().ToArray();

    /// <summary>L(w) at the current weights, under <c>no_grad</c>.</summary>
    public double Value()
    {
        using var _ = no_grad();
        double sum = 0;
        Data.ForEach((x, y) => sum += Loss.PerSample(Model.call(x), y).to(ScalarType.Float64).sum().item<double>());
        return sum / Data.Count;
    }

    /// <summary>L(w) and the fraction of correct predictions (0 for regression targets), under <c>no_grad</c>.</summary>
    public (double Loss, double Accuracy) ValueAndAccuracy()
    {
        using var _ = no_grad();
        double sum = 0;
        long correct = 0;
        Data.ForEach((x, y) =>
        {
            var output = Model.call(x);
            sum += Loss.PerSample(output, y).to(ScalarType.Float64).sum().item<double>();
            correct += Loss.Correct(output, y);
        });
        return (sum / Data.Count, (double)correct / Data.Count);
    }

    /// <summary>L(w) and dL/dw as one flat vector over <see cref="Space"/> (the caller disposes it); the parameters' <c>.grad</c> are not touched.</summary>
    public (double Loss, Tensor Gradient) ValueAndGradient()
    {
        using var scope = NewDisposeScope();
        double loss = 0;
        var grad = zeros(Space.Count, dtype: Space.DType, device: Space.Device);
        Data.ForEach((x, y) =>
        {
            double w = (double)x.shape[0] / Data.Count;
            var l = Loss.Mean(Model.call(x), y);
            if (l.requires_grad)
            {
                var g = torch.autograd.grad(new[] { l }, Parameters, allow_unused: true);
                grad.add_(Space.Flatten(g.Select(t => t.IsInvalid ? null : t).ToArray()), alpha: w);
            }
            loss += l.to(ScalarType.Float64).item<double>() * w;
        });
        return (loss, grad.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Accumulates <paramref name="scale"/> dL/dw into the parameters' <c>.grad</c> (backward pass per batch; the model's
    /// other trainable parameters receive their gradients too) and returns L(w). Call <c>zero_grad</c> first for a fresh gradient.
    /// </summary>
    public double Backward(double scale = 1.0)
    {
        double loss = 0;
        Data.ForEach((x, y) =>
        {
            double w = (double)x.shape[0] / Data.Count;
            var l = Loss.Mean(Model.call(x), y);
            if (l.requires_grad) (l * (w * scale)).backward();
            loss += l.to(ScalarType.Float64).item<double>() * w;
        });
        return loss;
    }
}
