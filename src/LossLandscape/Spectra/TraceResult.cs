using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>A stochastic trace estimate with its confidence interval.</summary>
/// <param name="Trace">The estimate t = (1/N) sum_k z_k . A z_k.</param>
/// <param name="StandardError">s / sqrt(N), s the sample standard deviation of z_k . A z_k.</param>
/// <param name="Lower">t - q * stderr, q the (1 + Confidence)/2 quantile of Student's t with N - 1 degrees of freedom.</param>
/// <param name="Upper">t + q * stderr.</param>
/// <param name="Confidence">The interval's level.</param>
/// <param name="Samples">The N samples z_k . A z_k.</param>
/// <param name="Dimension">n.</param>
/// <param name="Applications">Operator applications (N).</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record TraceResult(
    double Trace,
    double StandardError,
    double Lower,
    double Upper,
    double Confidence,
    double[] Samples,
    long Dimension,
    long Applications,
    double Seconds) : IDisposable
{
    /// <summary>The diagonal estimate (1/N) sum_k z_k * A z_k (elementwise), when asked for; the caller owns it.</summary>
    [JsonIgnore]
    public Tensor? Diagonal { get; init; }

    /// <summary>The estimator: <c>hutchinson</c> or <c>hutch++</c>.</summary>
    public string Method { get; init; } = "hutchinson";

    /// <summary>Hutch++: the exact trace of the low-rank part, tr(Q^T A Q) (0 for Hutchinson). <see cref="Samples"/> then are the residual's samples.</summary>
    public double LowRankTrace { get; init; }

    /// <summary>Hutch++: the number r of sketch directions (0 for Hutchinson).</summary>
    public int SketchSize { get; init; }

    /// <summary>Frees the diagonal estimate, when there is one (a copy made with <c>with</c> shares it).</summary>
    public void Dispose() => Diagonal?.Dispose();
}
