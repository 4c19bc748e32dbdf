using System.Diagnostics;
using LossLandscape.Curvature;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// Power iteration with deflation, PyHessian's algorithm (Yao et al. 2020), as the baseline for <see cref="Lanczos"/>:
/// the eigenvalues of largest magnitude one after another, each from a fresh random vector kept orthogonal to the
/// eigenvectors found before.
/// </summary>
/// <remarks>
/// For eigenvalue i: v &lt;- v - sum_{j&lt;i} (v . u_j) u_j, v &lt;- v / |v|, w = A v, lambda = v . w, v &lt;- w / |w|, until
/// the relative change of lambda falls below the tolerance. Each iteration costs one application; convergence goes
/// like (lambda_{i+1} / lambda_i)^{2t}, so close eigenvalues need many iterations. The residual reported is
/// |A v - lambda v| of the last iterate. Bottom eigenvalues: lambda_min = s - mu_max(s I - A) with s = |lambda|_max.
/// </remarks>
public static class PowerIteration
{
    /// <summary>Computes the requested eigenvalues of <paramref name="op"/>.</summary>
    /// <exception cref="LossLandscapeException">Bad counts, tolerance or iteration limit.</exception>
    public static EigenResult Run(ISymmetricOperator op, PowerIterationOptions? options = null, IProgress<EigenProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new PowerIterationOptions();
        Lanczos.Validate(op, o.Top, o.Bottom);
        if (!(o.Tolerance > 0) || !double.IsFinite(o.Tolerance))
            throw new LossLandscapeException($"Tolerance {o.Tolerance} is not valid: give a number > 0.");
        if (o.MaxIterations < 1)
            throw new LossLandscapeException($"MaxIterations {o.MaxIterations} is not valid: give at least 1.");
        var watch = Stopwatch.StartNew();
        using var random = new RandomVectors(o.Seed);
        long applications = 0;
        int iterations = 0;
        bool converged = true;

        var top = Deflated(op, Math.Max(o.Top, o.Bottom > 0 ? 1 : 0), o, random, progress, false, ref applications, ref iterations, ref converged, cancellationToken);
        Found? bottom = null;
        if (o.Bottom > 0)
        {
            double s = Math.Abs(top.Values[0]);
            var shifted = Operators.Shift(Operators.Scale(op, -1.0), s);
            bottom = Deflated(shifted, o.Bottom, o, random, progress, true, ref applications, ref iterations, ref converged, cancellationToken);
            bottom = bottom with { Values = bottom.Values.Select(mu => s - mu).ToArray() };
        }
        int nTop = o.Top;
        var result = new EigenResult("power",
            top.Values.Take(nTop).ToArray(),
            bottom?.Values ?? Array.Empty<double>(),
            top.Residuals.Take(nTop).ToArray(),
            bottom?.Residuals ?? Array.Empty<double>(),
            applications, iterations, converged, watch.Elapsed.TotalSeconds)
        {
            Eigenvectors = o.ReturnEigenvectors ? top.Vectors.Take(nTop).ToArray() : null,
            BottomEigenvectors = o.ReturnEigenvectors ? bottom?.Vectors ?? Array.Empty<Tensor>() : null,
        };
        foreach (var v in top.Vectors.Skip(o.ReturnEigenvectors ? nTop : 0)) v.Dispose();
        if (!o.ReturnEigenvectors && bottom is not null) foreach (var v in bottom.Vectors) v.Dispose();
        return result;
    }

    private sealed record Found(double[] Values, double[] Residuals, Tensor[] Vectors);

    private static Found Deflated(ISymmetricOperator op, int count, PowerIterationOptions o, RandomVectors random,
        IProgress<EigenProgress>? progress, bool isBottom, ref long applications, ref int iterations, ref bool converged, CancellationToken ct)
    {
        var values = new List<double>();
        var residuals = new List<double>();
        var vectors = new List<Tensor>();
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            var v = random.Gaussian(op.Dimension, op.DType, op.Device);
            double? lambda = null;
            double residual = double.NaN;
            bool ok = false;
            for (int t = 0; t < o.MaxIterations; t++)
            {
                ct.ThrowIfCancellationRequested();
                using var step = NewDisposeScope();
                foreach (var u in vectors) v.add_(u, alpha: -ParameterSpace.Dot(v, u));
                v.div_(ParameterSpace.Norm(v));
                var w = op.Apply(v);
                applications++;
                iterations++;
                double current = ParameterSpace.Dot(v, w);
                residual = ParameterSpace.Norm(w.add(v, alpha: -current));
                double norm = ParameterSpace.Norm(w);
                if (!double.IsFinite(current) || !double.IsFinite(norm))
                    throw new LossLandscapeException("The operator returned NaN or Inf (check the model's weights and the data).");
                bool settled = lambda is double prev && Math.Abs(current - prev) / (Math.Abs(prev) + 1e-6) < o.Tolerance;
                lambda = current;
                if (norm == 0)
                {
                    ok = true;
                    break;
                }
                v.copy_(w.div_(norm));
                var snapshot = values.Append(current).ToArray();
                var rs = residuals.Append(residual).ToArray();
                progress?.Report(isBottom
                    ? new EigenProgress(iterations, Array.Empty<double>(), snapshot, Array.Empty<double>(), rs)
                    : new EigenProgress(iterations, snapshot, Array.Empty<double>(), rs, Array.Empty<double>()));
                if (settled)
                {
                    ok = true;
                    break;
                }
            }
            converged &= ok;
            values.Add(lambda ?? 0);
            residuals.Add(residual);
            vectors.Add(v.DetachFromDisposeScope());
        }
        return new Found(values.ToArray(), residuals.ToArray(), vectors.ToArray());
    }
}
