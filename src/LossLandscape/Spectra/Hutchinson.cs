using System.Diagnostics;
using System.Text.Json.Serialization;
using LossLandscape.Curvature;
using LossLandscape.Parameters;
using MathNet.Numerics.Distributions;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Hutchinson's stochastic trace estimator (Hutchinson 1990) and the matching diagonal estimator (Bekas et al. 2007).</summary>
/// <remarks>
/// With Rademacher probes z (entries +-1), E[z^T A z] = tr(A) and E[z * A z] = diag(A), the variance of z^T A z being
/// 2 (|A|_F^2 - sum_i A_ii^2). The interval is t +- t_{N-1, (1+c)/2} s / sqrt(N). Probe k's vector depends only on
/// (seed, k) (<see cref="RandomVectors.ForProbe"/>), so the probes can be computed in any order or split across
/// processes (<see cref="TraceShards"/>) and give the same samples.
/// </remarks>
public static class Hutchinson
{
    /// <summary>Estimates tr(A) (and diag(A) when asked).</summary>
    /// <exception cref="LossLandscapeException">Fewer than 2 probes, or a confidence outside (0, 1).</exception>
    public static TraceResult Estimate(ISymmetricOperator op, HutchinsonOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new HutchinsonOptions();
        Validate(o);
        var watch = Stopwatch.StartNew();
        var samples = new double[o.Probes];
        Tensor? diagonal = o.Diagonal ? zeros(op.Dimension, dtype: op.DType, device: op.Device).DetachFromDisposeScope() : null;
        try
        {
            for (int k = 0; k < o.Probes; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (z, az) = Draw(op, o.Seed, k, out samples[k]);
                diagonal?.add_(z.mul_(az), alpha: 1.0 / o.Probes);
                progress?.Report(k + 1);
            }
        }
        catch
        {
            diagonal?.Dispose();
            throw;
        }
        return Combine(samples, o.Confidence, op.Dimension, watch.Elapsed.TotalSeconds) with { Diagonal = diagonal };
    }

    /// <summary>
    /// Probe <paramref name="index"/> of a run seeded with <paramref name="seed"/>: its sample z . A z and, for each
    /// segment (offset, count) of <paramref name="segments"/>, the sum of z * A z over the segment (in float64), whose
    /// mean over probes estimates the trace of that diagonal block (a parameter tensor's trace).
    /// </summary>
    /// <exception cref="LossLandscapeException">A negative index, a segment outside the vector, or an operator that returned NaN or Inf.</exception>
    public static TraceProbeValue Sample(ISymmetricOperator op, long seed, int index, IReadOnlyList<(long Offset, long Count)>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (index < 0) throw new LossLandscapeException($"Probe index {index} is negative.");
        var parts = segments ?? Array.Empty<(long Offset, long Count)>();
        foreach (var (offset, count) in parts)
            if (offset < 0 || count < 0 || offset + count > op.Dimension)
                throw new LossLandscapeException($"Segment [{offset}, {offset + count}) lies outside the operator's {op.Dimension} entries.");
        using var scope = NewDisposeScope();
        var (z, az) = Draw(op, seed, index, out double sample);
        var product = z.mul_(az).to(ScalarType.Float64);
        var sums = parts.Select(p => product.narrow(0, p.Offset, p.Count).sum().item<double>()).ToArray();
        return new TraceProbeValue(index, sample, sums);
    }

    /// <summary>
    /// The estimate from the samples z_k . A z_k, in their order: the mean, its standard error and the Student-t interval
    /// (the summary of <see cref="Estimate"/>, also used to merge probes computed apart).
    /// </summary>
    /// <exception cref="LossLandscapeException">Fewer than 2 samples, or a confidence outside (0, 1).</exception>
    public static TraceResult Combine(IReadOnlyList<double> samples, double confidence, long dimension, double seconds = 0)
    {
        ArgumentNullException.ThrowIfNull(samples);
        Validate(new HutchinsonOptions(samples.Count, confidence));
        int n = samples.Count;
        double mean = samples.Average();
        double variance = samples.Sum(s => (s - mean) * (s - mean)) / (n - 1);
        double stderr = Math.Sqrt(variance / n);
        double q = StudentT.InvCDF(0, 1, n - 1, (1 + confidence) / 2);
        return new TraceResult(mean, stderr, mean - q * stderr, mean + q * stderr, confidence, samples.ToArray(), dimension, n, seconds);
    }

    internal static void Validate(HutchinsonOptions o)
    {
        if (o.Probes < 2)
            throw new LossLandscapeException($"Hutchinson needs at least 2 probes for a confidence interval; got {o.Probes}.");
        if (!(o.Confidence > 0 && o.Confidence < 1))
            throw new LossLandscapeException($"Confidence {o.Confidence} is not valid: give a level in (0, 1), for example 0.95.");
    }

    /// <summary>z (probe <paramref name="index"/>'s Rademacher vector) and A z, in the caller's dispose scope.</summary>
    private static (Tensor Z, Tensor Az) Draw(ISymmetricOperator op, long seed, int index, out double sample)
    {
        using var random = RandomVectors.ForProbe(seed, index);
        var z = random.Rademacher(op.Dimension, op.DType, op.Device);
        var az = op.Apply(z);
        sample = ParameterSpace.Dot(z, az);
        if (!double.IsFinite(sample))
            throw new LossLandscapeException("The operator returned NaN or Inf (check the model's weights and the data).");
        return (z, az);
    }
}
