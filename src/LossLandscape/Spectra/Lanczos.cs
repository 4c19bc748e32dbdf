using System.Diagnostics;
using LossLandscape.Curvature;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="Lanczos"/>.</summary>
/// <param name="Top">How many of the largest (algebraic) eigenvalues to compute.</param>
/// <param name="Bottom">How many of the smallest (algebraic) eigenvalues to compute.</param>
/// <param name="Tolerance">Stop when every requested Ritz pair has residual r_i &lt;= Tolerance * max_j |theta_j|.</param>
/// <param name="MaxIterations">Most Lanczos steps (operator applications); null: min(n, max(100, 4 (Top + Bottom) + 40)).</param>
/// <param name="Reorthogonalize">Full reorthogonalization of each Lanczos vector (default; without it, rounding brings spurious copies of converged eigenvalues).</param>
/// <param name="Seed">Seed of the Gaussian start vector.</param>
/// <param name="ReturnEigenvectors">Also return the Ritz vectors (unit eigenvector estimates).</param>
public sealed record LanczosOptions(
    int Top = 1,
    int Bottom = 0,
    double Tolerance = 1e-6,
    int? MaxIterations = null,
    bool Reorthogonalize = true,
    long Seed = 0,
    bool ReturnEigenvectors = false);

/// <summary>
/// Extreme eigenvalues of a symmetric operator by the Lanczos algorithm (Lanczos 1950; Golub and Van Loan, Matrix
/// Computations, ch. 10), with full reorthogonalization by default.
/// </summary>
/// <remarks>
/// After m steps, A Q_m = Q_m T_m + beta_m q_{m+1} e_m^T with T_m tridiagonal. The eigenpairs (theta_i, s_i) of T_m
/// (implicit QL, <see cref="SymmetricTridiagonal"/>) give Ritz pairs (theta_i, Q_m s_i) with residual
/// |A Q_m s_i - theta_i Q_m s_i| = beta_m |e_m^T s_i|. The run stops when every requested pair has
/// r_i &lt;= tol * max_j |theta_j|, after <see cref="LanczosOptions.MaxIterations"/> steps, or at n steps (then exact).
/// </remarks>
public static class Lanczos
{
    /// <summary>Computes the requested extreme eigenvalues of <paramref name="op"/>.</summary>
    /// <exception cref="LossLandscapeException">Top/Bottom negative, none requested, or more than the dimension; a bad tolerance or iteration limit.</exception>
    public static EigenResult Run(ISymmetricOperator op, LanczosOptions? options = null, IProgress<EigenProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new LanczosOptions();
        int k = Validate(op, o.Top, o.Bottom);
        if (!(o.Tolerance >= 0) || !double.IsFinite(o.Tolerance))
            throw new LossLandscapeException($"Tolerance {o.Tolerance} is not valid: give a number >= 0.");
        if (o.MaxIterations is int mi && mi < k)
            throw new LossLandscapeException($"MaxIterations {mi} is below the {k} eigenvalues asked for.");
        int maxSteps = (int)Math.Min(op.Dimension, o.MaxIterations ?? Math.Max(100, 4 * k + 40));
        var watch = Stopwatch.StartNew();
        using var random = new RandomVectors(o.Seed);
        using var scope = NewDisposeScope();
        var start = random.Gaussian(op.Dimension, op.DType, op.Device);
        start.div_(ParameterSpace.Norm(start));

        bool converged = false;
        bool Stop(LanczosProcess p)
        {
            int m = p.Alpha.Count;
            if (m < k) return false;
            var (theta, rows) = SymmetricTridiagonal.EigenRows(p.Alpha, p.Beta, new[] { m - 1 });
            var res = rows[0].Select(s => p.TrailingBeta * Math.Abs(s)).ToArray();
            var (top, bottom, rTop, rBottom) = Pick(theta, res, o.Top, o.Bottom);
            progress?.Report(new EigenProgress(m, top, bottom, rTop, rBottom));
            double scale = theta.Max(Math.Abs);
            converged = rTop.Concat(rBottom).All(r => r <= o.Tolerance * scale);
            return converged;
        }

        using var process = LanczosProcess.Run(op, start, maxSteps, o.Reorthogonalize, Stop, random, cancellationToken);
        int steps = process.Alpha.Count;
        var (values, z) = SymmetricTridiagonal.EigenRows(process.Alpha, process.Beta,
            o.ReturnEigenvectors ? Enumerable.Range(0, steps).ToArray() : new[] { steps - 1 });
        var lastRow = o.ReturnEigenvectors ? z[steps - 1] : z[0];
        var residuals = lastRow.Select(s => process.TrailingBeta * Math.Abs(s)).ToArray();
        var (t, b, rt, rb) = Pick(values, residuals, o.Top, o.Bottom);
        double sc = values.Max(Math.Abs);
        bool done = steps >= op.Dimension || rt.Concat(rb).All(r => r <= o.Tolerance * sc);

        IReadOnlyList<Tensor>? topVectors = null, bottomVectors = null;
        if (o.ReturnEigenvectors)
        {
            double[] Column(int j) => Enumerable.Range(0, steps).Select(i => z[i][j]).ToArray();
            topVectors = Enumerable.Range(0, o.Top).Select(i => Normalize(process.Basis.Combine(Column(steps - 1 - i)))).ToArray();
            bottomVectors = Enumerable.Range(0, o.Bottom).Select(i => Normalize(process.Basis.Combine(Column(i)))).ToArray();
        }
        return new EigenResult("lanczos", t, b, rt, rb, process.Applications, steps, done, watch.Elapsed.TotalSeconds)
        {
            Eigenvectors = topVectors,
            BottomEigenvectors = bottomVectors,
        };
    }

    internal static int Validate(ISymmetricOperator op, int top, int bottom)
    {
        if (top < 0 || bottom < 0)
            throw new LossLandscapeException($"Top ({top}) and bottom ({bottom}) counts must not be negative.");
        int k = top + bottom;
        if (k == 0)
            throw new LossLandscapeException("Ask for at least one eigenvalue (top or bottom).");
        if (k > op.Dimension)
            throw new LossLandscapeException($"Asked for {k} eigenvalues of an operator of dimension {op.Dimension}.");
        return k;
    }

    private static (double[] Top, double[] Bottom, double[] TopRes, double[] BottomRes) Pick(double[] ascending, double[] residuals, int top, int bottom)
    {
        int m = ascending.Length;
        int nt = Math.Min(top, m), nb = Math.Min(bottom, m);
        var t = Enumerable.Range(0, nt).Select(i => ascending[m - 1 - i]).ToArray();
        var rt = Enumerable.Range(0, nt).Select(i => residuals[m - 1 - i]).ToArray();
        var b = Enumerable.Range(0, nb).Select(i => ascending[i]).ToArray();
        var rb = Enumerable.Range(0, nb).Select(i => residuals[i]).ToArray();
        return (t, b, rt, rb);
    }

    private static Tensor Normalize(Tensor v)
    {
        v.div_(ParameterSpace.Norm(v));
        return v.DetachFromDisposeScope();
    }
}
