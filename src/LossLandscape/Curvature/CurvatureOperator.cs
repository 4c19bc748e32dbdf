using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// Base class of the curvature operators of the mean loss L(w) = (1/P) sum_i l(f(w; x_i), y_i) over a data set. It owns
/// the loop over the data: the data are taken in consecutive batches B_1, ..., B_K of at most
/// <see cref="CurvatureOptions.BatchSize"/> examples, each batch contributes its own mean-loss curvature applied to v,
/// weighted by |B_k| / P, so the result is exact for the whole set (the uneven last batch included) and memory is set by
/// the batch size.
/// </summary>
/// <remarks>
/// A v = sum_k (|B_k| / P) A_k v, where A_k is the curvature of the batch mean loss (1/|B_k|) sum_{i in B_k} l_i.
/// While the operator runs, the model is in the mode <see cref="CurvatureOptions.BatchNorm"/> asks for (eval by default);
/// afterwards every submodule's train/eval flag, and in train mode the BatchNorm running statistics, are put back.
/// </remarks>
public abstract class CurvatureOperator : SymmetricOperator
{
    private readonly Tensor[] _parameters;

    /// <summary>Builds the operator and validates model, data and loss against each other (one forward pass on one example).</summary>
    /// <exception cref="LossLandscapeException">
    /// The data's dtype or device differs from the model's; the batch size or subset is not positive; the model's output is
    /// not [P, C]; a label is outside the output's classes.
    /// </exception>
    protected CurvatureOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, CurvatureOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(data);
        Options = options ?? new CurvatureOptions();
        if (Options.BatchSize < 1)
            throw new LossLandscapeException($"Batch size {Options.BatchSize} is not valid: give at least 1.");
        if (Options.Subset is long s && s < 1)
            throw new LossLandscapeException($"Subset size {s} is not valid: give at least 1 example (or none for the whole data set).");
        Model = model;
        Loss = loss;
        Data = data;
        Space = new ParameterSpace(model, Options.Include);
        _parameters = Space.Parameters.Cast<Tensor>().ToArray();
        if (data.Inputs.dtype != Space.DType)
            throw new LossLandscapeException($"Data set '{data.Name}' holds {data.Inputs.dtype} inputs, the model's parameters are {Space.DType}; convert one of them so both match.");
        if (data.Device.ToString() != Space.Device.ToString())
            throw new LossLandscapeException($"Data set '{data.Name}' lives on {data.Device}, the model on {Space.Device}; move one of them.");
        Models.ModelCompatibility.Check(model, data, loss);
        Examples = Math.Min(Options.Subset ?? data.Count, data.Count);
        ValidateOutputsAndLabels();
    }

    /// <summary>The model (its weights are read, never changed).</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The loss l(s, y).</summary>
    public LossFunction Loss { get; }

    /// <summary>The data set.</summary>
    public Dataset Data { get; }

    /// <summary>The options.</summary>
    public CurvatureOptions Options { get; }

    /// <summary>The parameters the operator acts on (all trainable ones, or those <see cref="CurvatureOptions.Include"/> selects).</summary>
    public ParameterSpace Space { get; }

    /// <summary>P, the number of examples the mean loss runs over (the subset size, or the whole data set).</summary>
    public long Examples { get; }

    /// <summary>Operator name for reports (<c>hessian</c>, <c>ggn</c>, <c>residual</c>).</summary>
    public abstract string Name { get; }

    /// <inheritdoc />
    public override long Dimension => Space.Count;

    /// <inheritdoc />
    public override ScalarType DType => Space.DType;

    /// <inheritdoc />
    public override Device Device => Space.Device;

    /// <summary>The live parameter tensors the operator differentiates by.</summary>
    private protected Tensor[] Parameters => _parameters;

    /// <summary>The batches, in order: consecutive views of at most <see cref="CurvatureOptions.BatchSize"/> of the first <see cref="Examples"/> examples.</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Batches()
    {
        for (long start = 0; start < Examples; start += Options.BatchSize)
        {
            long n = Math.Min(Options.BatchSize, Examples - start);
            yield return (Data.Inputs.narrow(0, start, n), Data.Labels.narrow(0, start, n));
        }
    }

    /// <inheritdoc />
    protected sealed override Tensor ApplyCore(Tensor v)
    {
        using var mode = EnterMode();
        using var scope = NewDisposeScope();
        var vs = Space.Split(v);
        if (Examples <= Options.BatchSize)
        {
            // One batch: its mean is the whole mean (weight 1), no accumulation needed.
            var (x1, y1) = Batches().First();
            return ApplyBatch(x1, y1, vs).MoveToOuterDisposeScope();
        }
        var result = zeros(Dimension, dtype: DType, device: Device);
        foreach (var (x, y) in Batches())
        {
            using var batchScope = NewDisposeScope();
            var part = ApplyBatch(x, y, vs);
            result.add_(part, alpha: (double)x.shape[0] / Examples);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The curvature of the batch mean loss (1/|B|) sum_{i in B} l_i applied to v (given split per parameter), as a
    /// flat vector. Called inside a dispose scope, with the model already in the requested mode.
    /// </summary>
    protected abstract Tensor ApplyBatch(Tensor x, Tensor y, IReadOnlyList<Tensor> v);

    /// <summary>The mean loss L over the <see cref="Examples"/> examples, in the operator's mode, accumulated in float64.</summary>
    public double EvaluateLoss()
    {
        using var mode = EnterMode();
        using var _ = no_grad();
        double sum = 0;
        foreach (var (x, y) in Batches())
        {
            using var scope = NewDisposeScope();
            sum += Loss.PerSample(Model.call(x), y).to(ScalarType.Float64).sum().item<double>();
        }
        return sum / Examples;
    }

    /// <summary>The mean loss L and its gradient dL/dw (flat, over the operator's parameters), with the same batching and weighting as <see cref="SymmetricOperator.Apply"/>.</summary>
    public (double Loss, Tensor Gradient) LossAndGradient()
    {
        using var mode = EnterMode();
        using var scope = NewDisposeScope();
        double loss = 0;
        var grad = zeros(Dimension, dtype: DType, device: Device);
        foreach (var (x, y) in Batches())
        {
            using var batchScope = NewDisposeScope();
            double w = (double)x.shape[0] / Examples;
            var (l, g) = CurvatureProducts.LossAndGradient(Model.call(x), y, Loss, Parameters);
            grad.add_(Space.Flatten(g), alpha: w);
            loss += l.to(ScalarType.Float64).item<double>() * w;
        }
        return (loss, grad.MoveToOuterDisposeScope());
    }

    /// <summary>Puts the model in the requested mode; disposing puts back every flag (and, in train mode, every buffer).</summary>
    protected IDisposable EnterMode() => new ModeScope(Model, Options.BatchNorm);

    private void ValidateOutputsAndLabels()
    {
        using var mode = new ModeScope(Model, BatchNormMode.Eval);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var output = Model.call(Data.Inputs.narrow(0, 0, 1));
        if (output.dim() != 2)
            throw new LossLandscapeException($"The model's output must be [P, C] (one row of scores per example); got shape [{string.Join(", ", output.shape)}].");
        long classes = output.shape[1];
        var labels = Data.Labels.narrow(0, 0, Examples);
        long min = labels.min().item<long>();
        long max = labels.max().item<long>();
        long allowed = classes == 1 ? 2 : classes;
        if (min < 0 || max >= allowed)
            throw new LossLandscapeException($"Labels of '{Data.Name}' run from {min} to {max}, but the model has {classes} output(s) (labels must lie in [0, {allowed})); check the model spec against the data.");
        if (classes == 1 && Loss is not SquaredErrorLoss)
            throw new LossLandscapeException($"A model with one output needs the mse loss (targets +-1); '{Loss.Name}' needs one output per class.");
    }

    private sealed class ModeScope : IDisposable
    {
        private readonly List<(nn.Module Module, bool Training)> _modes = new();
        private readonly List<(Tensor Live, Tensor Saved)> _buffers = new();

        public ModeScope(nn.Module<Tensor, Tensor> model, BatchNormMode mode)
        {
            _modes.Add((model, model.training));
            foreach (var (_, m) in model.named_modules()) _modes.Add((m, m.training));
            if (mode == BatchNormMode.Train)
            {
                using var _ = no_grad();
                foreach (var (_, b) in model.named_buffers())
                    _buffers.Add((b, b.detach().clone().DetachFromDisposeScope()));
            }
            model.train(mode == BatchNormMode.Train);
        }

        public void Dispose()
        {
            using (no_grad())
            {
                foreach (var (live, saved) in _buffers)
                {
                    live.copy_(saved);
                    saved.Dispose();
                }
            }
            _buffers.Clear();
            foreach (var (m, training) in _modes) m.train(training);
        }
    }
}
