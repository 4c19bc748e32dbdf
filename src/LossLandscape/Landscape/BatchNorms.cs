using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>BatchNorm helpers: finding the layers, choosing the policy, recomputing and interpolating statistics.</summary>
public static class BatchNorms
{
    /// <summary>Every BatchNorm layer (1d, 2d, 3d) of <paramref name="module"/>, in module order.</summary>
    public static IReadOnlyList<BatchNorm> Find(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var list = new List<BatchNorm>();
        if (module is BatchNorm self) list.Add(self);
        foreach (var (_, m) in module.named_modules())
            if (m is BatchNorm bn && !ReferenceEquals(bn, module)) list.Add(bn);
        return list;
    }

    /// <summary>True when the module has a BatchNorm layer that tracks running statistics.</summary>
    public static bool HasBatchNorm(nn.Module module) => Find(module).Any(b => b.track_running_stats);

    /// <summary>
    /// The policy to use: <paramref name="requested"/> when given, otherwise <see cref="BatchNormPolicy.Recompute"/>
    /// for models with BatchNorm and <see cref="BatchNormPolicy.Eval"/> for models without.
    /// </summary>
    public static BatchNormPolicy Resolve(nn.Module module, BatchNormPolicy? requested) =>
        requested ?? (HasBatchNorm(module) ? BatchNormPolicy.Recompute : BatchNormPolicy.Eval);

    /// <summary>The name of <paramref name="policy"/> in results: <c>eval</c>, <c>interpolate</c> or <c>recompute</c>.</summary>
    public static string Name(BatchNormPolicy policy) => policy switch
    {
        BatchNormPolicy.Eval => "eval",
        BatchNormPolicy.InterpolateStatistics => "interpolate",
        BatchNormPolicy.Recompute => "recompute",
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };

    /// <summary>
    /// Recomputes the running statistics of every BatchNorm layer at the current weights and leaves the model in
    /// eval mode.
    /// </summary>
    /// <remarks>
    /// The statistics are reset (mean 0, variance 1), then the first <paramref name="batches"/> batches of
    /// <paramref name="batchSize"/> examples of <paramref name="data"/> are passed through the model in train mode under
    /// <c>no_grad</c> with momentum 1/b for batch b = 1, 2, ..., so the running statistics become the cumulative
    /// average mu = (1/B) sum_b mu_b, sigma^2 = (1/B) sum_b sigma^2_b (PyTorch's <c>momentum=None</c>). Momenta are put
    /// back afterwards. The batches are the same at every point, so the result is deterministic.
    /// </remarks>
    /// <exception cref="LossLandscapeException">Batch size below 2 or no batch.</exception>
    public static void RecomputeStatistics(nn.Module<Tensor, Tensor> model, Data.BatchSource data, long batchSize = 128, int batches = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 2) throw new LossLandscapeException($"BatchNorm recomputation needs batches of at least 2 examples; got {batchSize}.");
        if (batches < 1) throw new LossLandscapeException($"BatchNorm recomputation needs at least one batch; got {batches}.");
        var layers = Find(model).Where(b => b.track_running_stats).ToArray();
        if (layers.Length == 0)
        {
            model.eval();
            return;
        }
        var momenta = layers.Select(l => l.momentum).ToArray();
        using var _ = no_grad();
        try
        {
            foreach (var l in layers) l.reset_running_stats();
            model.train();
            // The first batches of the data: at most `batches` of `batchSize`, the last one only if it has 2 examples or more.
            long count = Math.Min(data.Count, batchSize * batches);
            if (count > batchSize && count % batchSize == 1) count--;
            int b = 0;
            data.Rebatch(batchSize, count).ForEach((x, _) =>
            {
                b++;
                foreach (var l in layers) l.momentum = 1.0 / b;
                model.call(x);
            });
        }
        finally
        {
            for (int i = 0; i < layers.Length; i++) layers[i].momentum = momenta[i];
            model.eval();
        }
    }

    /// <summary>
    /// Sets the floating-point buffers of <paramref name="module"/> to (1 - a) A + a B (variances clamped at 0, which
    /// extrapolation can cross); integer buffers (batch counters) take A's value for a &lt; 1/2 and B's otherwise.
    /// </summary>
    /// <exception cref="LossLandscapeException">A buffer of the module is missing from either end point.</exception>
    public static void SetInterpolatedBuffers(nn.Module module, IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b, double alpha)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        using var _ = no_grad();
        foreach (var (name, buffer) in module.named_buffers())
        {
            if (!a.TryGetValue(name, out var ta) || !b.TryGetValue(name, out var tb))
                throw new LossLandscapeException($"Buffer '{name}' is missing from an end point; capture both end points with ModelPoint.Capture on the same architecture.");
            using var scope = NewDisposeScope();
            if (buffer.is_floating_point())
            {
                var v = ta.to(buffer.dtype, buffer.device).mul(1 - alpha).add_(tb.to(buffer.dtype, buffer.device), alpha: alpha);
                if (name.EndsWith("running_var", StringComparison.Ordinal)) v = v.clamp_min(0);
                buffer.copy_(v);
            }
            else
            {
                buffer.copy_((alpha < 0.5 ? ta : tb).to(buffer.dtype, buffer.device));
            }
        }
    }
}
