using System.Diagnostics;
using LossLandscape.Curvature;
using LossLandscape.Parameters;
using MathNet.Numerics.Distributions;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// The Hutch++ trace estimator (Meyer, Musco, Musco and Woodruff 2021): the trace of a low-rank projection computed
/// exactly, and Hutchinson's estimator only on the rest, so that a spectrum that decays (as a Hessian's does) is
/// estimated with O(1/m) error instead of Hutchinson's O(1/sqrt(m)).
/// </summary>
/// <remarks>
/// With S (n x r) Rademacher, Q an orthonormal basis of A S and P = Q Q^T:
/// tr(A) = tr(Q^T A Q) + tr((I - P) A (I - P)), the second term estimated from g = m - 2 r Rademacher probes g_k as the mean
/// of z_k . A z_k, z_k = (I - P) g_k. Given Q the first term is exact, so the interval tr(Q^T A Q) + mean +- t_{g-1,(1+c)/2} s / sqrt(g)
/// is Hutchinson's interval on the residual. Diagonal: diag(Q C Q^T) + 2 rowsum(Q o (A Q - Q C)) + mean_k g_k o (I - P) A z_k,
/// C = Q^T A Q, whose sum is the trace estimate.
/// </remarks>
public static class HutchPlusPlus
{
    /// <summary>Estimates tr(A) (and diag(A) when asked).</summary>
    /// <exception cref="LossLandscapeException">Fewer than 4 applications, more sketch vectors than the dimension, or a confidence outside (0, 1).</exception>
    public static TraceResult Estimate(ISymmetricOperator op, HutchPlusPlusOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new HutchPlusPlusOptions();
        if (o.Applications < 4)
            throw new LossLandscapeException($"Hutch++ needs at least 4 operator applications (1 sketch vector and 2 probes for the interval); got {o.Applications}.");
        if (!(o.Confidence > 0 && o.Confidence < 1))
            throw new LossLandscapeException($"Confidence {o.Confidence} is not valid: give a level in (0, 1), for example 0.95.");
        int r = o.Applications / 3, g = o.Applications - 2 * r;
        if (r > op.Dimension)
            throw new LossLandscapeException($"Hutch++ with {o.Applications} applications sketches {r} directions, more than the dimension {op.Dimension}: give at most {3 * op.Dimension} applications.");
        var watch = Stopwatch.StartNew();
        using var random = new RandomVectors(o.Seed);
        long n = op.Dimension;
        int done = 0;
        using var outer = NewDisposeScope();
        void Tick()
        {
            done++;
            progress?.Report(done);
        }
        // Sketch Y = A S, one column at a time.
        var y = empty(new long[] { r, n }, dtype: op.DType, device: op.Device);
        for (int i = 0; i < r; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var s = random.Rademacher(n, op.DType, op.Device);
            using (no_grad()) y[i].copy_(Finite(op.Apply(s)));
            Tick();
        }
        // Q: orthonormal columns spanning A S (reduced QR of the n x r matrix, in float64 for stability).
        Tensor q;
        using (var scope = NewDisposeScope())
        {
            var (qq, _) = linalg.qr(y.t().to(ScalarType.Float64), linalg.QRMode.Reduced);
            q = qq.to(op.DType).t().contiguous().MoveToOuterDisposeScope(); // [r, n], rows orthonormal
        }
        y.Dispose();
        var aq = empty(new long[] { r, n }, dtype: op.DType, device: op.Device);
        for (int i = 0; i < r; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using (no_grad()) aq[i].copy_(Finite(op.Apply(q[i].contiguous())));
            Tick();
        }
        double lowRank;
        Tensor c;
        using (var scope = NewDisposeScope())
        {
            var cc = q.mm(aq.t()).to(ScalarType.Float64);
            c = cc.add(cc.t()).mul_(0.5).MoveToOuterDisposeScope();
            lowRank = c.trace().item<double>();
        }
        Tensor? diagonal = null;
        if (o.Diagonal)
        {
            using var scope = NewDisposeScope();
            var qc = c.to(op.DType).mm(q); // rows: (Q C)^T = C Q^T, since C is symmetric
            var d = qc.mul(q).sum(dim: 0).add_(aq.sub(qc).mul_(q).sum(dim: 0), alpha: 2.0);
            diagonal = d.MoveToOuterDisposeScope();
        }
        var samples = new double[g];
        for (int k = 0; k < g; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var gk = random.Rademacher(n, op.DType, op.Device);
            var z = gk.sub(q.t().mv(q.mv(gk)));
            var az = Finite(op.Apply(z));
            samples[k] = ParameterSpace.Dot(z, az);
            if (diagonal is not null)
            {
                var proj = az.sub(q.t().mv(q.mv(az)));
                diagonal.add_(gk.mul_(proj), alpha: 1.0 / g);
            }
            Tick();
        }
        double mean = samples.Average();
        double variance = samples.Sum(s => (s - mean) * (s - mean)) / (g - 1);
        double stderr = Math.Sqrt(variance / g);
        double qt = StudentT.InvCDF(0, 1, g - 1, (1 + o.Confidence) / 2);
        double trace = lowRank + mean;
        return new TraceResult(trace, stderr, trace - qt * stderr, trace + qt * stderr, o.Confidence, samples, n, o.Applications, watch.Elapsed.TotalSeconds)
        {
            Diagonal = diagonal?.DetachFromDisposeScope(),
            Method = "hutch++",
            LowRankTrace = lowRank,
            SketchSize = r,
        };
    }

    private static Tensor Finite(Tensor t)
    {
        using var bad = t.isfinite().logical_not().any();
        if (bad.item<bool>())
            throw new LossLandscapeException("The operator returned NaN or Inf (check the model's weights and the data).");
        return t;
    }
}
