using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>What happens to BatchNorm running statistics when a probe moves the weights.</summary>
public enum BatchNormPolicy
{
    /// <summary>Eval mode with the statistics stored in the model (those of the model the probe started from).</summary>
    Eval,

    /// <summary>
    /// The running statistics are interpolated like the weights: mu(a) = (1 - a) mu_A + a mu_B, sigma^2(a) =
    /// max(0, (1 - a) sigma^2_A + a sigma^2_B). Only for line scans between two models whose buffers are known.
    /// </summary>
    InterpolateStatistics,

    /// <summary>
    /// At every point the running statistics are reset and recomputed as the cumulative average over a few batches of
    /// the training data in train mode under <c>no_grad</c>; the point is then evaluated in eval mode.
    /// </summary>
    Recompute,
}
