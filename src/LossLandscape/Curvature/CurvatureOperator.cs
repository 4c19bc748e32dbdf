using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>
/// Base class of the curvature operators of the mean loss L(w) = (1/N) sum_i l(f(w; x_i), y_i) over a batch source. It
/// owns the loop over the data: each batch B_k of the source contributes its own mean-loss curvature applied to v,
/// weighted by |B_k| / N, so the result is exact for the whole set (the uneven last batch included) and memory is set by
/// the batch size.
/// </summary>
/// <remarks>
/// A v = sum_k (|B_k| / N) A_k v, where A_k is the curvature of the batch mean loss (1/|B_k|) sum_{i in B_k} l_i.
/// Targets are class labels or, for the squared error, floating-point regression targets. While the operator runs,
/// the model is in the mode <see cref="CurvatureOptions.BatchNorm"/> asks for (eval by default); afterwards every
/// submodule's train/eval flag, and in train mode the BatchNorm running statistics, are put back
/// (<see cref="ModelStateScope"/>). The operator reads the caller's tensors and never disposes them.
/// </remarks>
public abstract class CurvatureOperator : SymmetricOperator
{
    /// <summary>
    /// Builds the operator over the first <see cref="CurvatureOptions.Subset"/> examples of <paramref name="data"/> in
    /// batches of <see cref="CurvatureOptions.BatchSize"/> (the data set stays the caller's).
    /// </summary>
    /// <exception cref="LossLandscapeException">See <see cref="CurvatureOperator(nn.Module{Tensor, Tensor}, LossFunction, BatchSource, CurvatureOptions?)"/>; also a batch size or subset below 1.</exception>
    protected CurvatureOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, CurvatureOptions? options)
        : this(model, loss, FromDataset(data, options), options)
    {
    }

    /// <summary>Builds the operator and validates model, data and loss against each other (one forward pass on one example).</summary>
    /// <exception cref="LossLandscapeException">
    /// The data's dtype or device differs from the model's; the model's output is not [B, C]; the targets do not fit the
    /// loss (class labels outside the output's classes, regression targets of the wrong shape or for a classification loss).
    /// </exception>
    protected CurvatureOperator(nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data, CurvatureOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(data);
        Options = options ?? new CurvatureOptions();
        Model = model;
        Loss = loss;
        Data = data;
        Space = new ParameterSpace(model, Options.Include);
        Objective = new Objective(model, loss, data, Space);
        Validate();
    }

    /// <summary>The model (its weights are read, never changed).</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The loss l(s, y).</summary>
    public LossFunction Loss { get; }

    /// <summary>The data.</summary>
    public BatchSource Data { get; }

    /// <summary>The options.</summary>
    public CurvatureOptions Options { get; }

    /// <summary>The parameters the operator acts on (all trainable ones, or those <see cref="CurvatureOptions.Include"/> selects).</summary>
    public ParameterSpace Space { get; }

    /// <summary>The objective L whose curvature this is (its value and gradient over the same batches).</summary>
    public Objective Objective { get; }

    /// <summary>N, the number of examples the mean loss runs over.</summary>
    public long Examples => Data.Count;

    /// <summary>Operator name for reports (<c>hessian</c>, <c>ggn</c>, <c>residual</c>).</summary>
    public abstract string Name { get; }

    /// <inheritdoc />
    public override long Dimension => Space.Count;

    /// <inheritdoc />
    public override ScalarType DType => Space.DType;

    /// <inheritdoc />
    public override Device Device => Space.Device;

    /// <summary>The live parameter tensors the operator differentiates by.</summary>
    private protected Tensor[] Parameters => Objective.Parameters;

    /// <inheritdoc />
    protected sealed override Tensor ApplyCore(Tensor v)
    {
        var result = empty(Dimension, dtype: DType, device: Device);
        try
        {
            ApplyIntoCore(v, result);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Each batch's per-parameter products land in <paramref name="output"/>'s slices: copied for a single batch (its
    /// mean is the whole mean), accumulated with weight |B| / N otherwise. No flat temporary is formed.
    /// </remarks>
    protected sealed override void ApplyIntoCore(Tensor v, Tensor output)
    {
        using var mode = EnterMode();
        using var scope = NewDisposeScope();
        var vs = Space.Split(v);
        var slices = Space.Split(output);
        bool first = true;
        Data.ForEach((x, y) =>
        {
            var parts = ApplyBatch(x, y, vs);
            if (parts.Count != slices.Length)
                throw new InvalidOperationException($"ApplyBatch returned {parts.Count} tensors for {slices.Length} parameters.");
            bool whole = x.shape[0] == Examples;
            double weight = (double)x.shape[0] / Examples;
            using (no_grad())
                for (int i = 0; i < slices.Length; i++)
                {
                    var p = parts[i];
                    if (whole) { if (p is null) slices[i].zero_(); else slices[i].copy_(p); }
                    else
                    {
                        if (first) slices[i].zero_();
                        if (p is not null) slices[i].add_(p, alpha: weight);
                    }
                }
            first = false;
        });
    }

    /// <summary>
    /// The curvature of the batch mean loss (1/|B|) sum_{i in B} l_i applied to v (given split per parameter), one
    /// tensor per parameter shaped like it (null: zero). Called inside a dispose scope, with the model already in the
    /// requested mode.
    /// </summary>
    protected abstract IReadOnlyList<Tensor?> ApplyBatch(Tensor x, Tensor y, IReadOnlyList<Tensor> v);

    /// <summary>The mean loss L over the <see cref="Examples"/> examples, in the operator's mode, accumulated in float64.</summary>
    public double EvaluateLoss()
    {
        using var mode = EnterMode();
        return Objective.Value();
    }

    /// <summary>The mean loss L and its gradient dL/dw (flat, over the operator's parameters), with the same batching and weighting as <see cref="SymmetricOperator.Apply"/>.</summary>
    public (double Loss, Tensor Gradient) LossAndGradient()
    {
        using var mode = EnterMode();
        return Objective.ValueAndGradient();
    }

    /// <summary>Puts the model in the requested mode; disposing puts back every flag (and, in train mode, every buffer).</summary>
    protected IDisposable EnterMode() => ModelStateScope.EnterMode(Model, Options.BatchNorm == BatchNormMode.Train);

    private static BatchSource FromDataset(Dataset data, CurvatureOptions? options)
    {
        ArgumentNullException.ThrowIfNull(data);
        var o = options ?? new CurvatureOptions();
        if (o.BatchSize < 1)
            throw new LossLandscapeException($"Batch size {o.BatchSize} is not valid: give at least 1.");
        if (o.Subset is long s && s < 1)
            throw new LossLandscapeException($"Subset size {s} is not valid: give at least 1 example (or none for the whole data set).");
        return BatchSource.FromDataset(data, o.BatchSize, o.Subset);
    }

    private void Validate() => Models.ModelCompatibility.Check(Model, Data, Loss);
}
