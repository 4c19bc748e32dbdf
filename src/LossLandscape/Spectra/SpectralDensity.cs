using System.Diagnostics;
using LossLandscape.Curvature;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Options of <see cref="SpectralDensity"/>.</summary>
/// <param name="Probes">Number of random start vectors (independent Lanczos runs).</param>
/// <param name="Steps">Lanczos steps per probe (quadrature nodes per probe), at most n.</param>
/// <param name="Sigma">Standard deviation of the Gaussian broadening; null: 1% of the node range (max - min).</param>
/// <param name="GridPoints">Points of the output grid (at least 2).</param>
/// <param name="Seed">Seed of the probes.</param>
/// <param name="Reorthogonalize">Full reorthogonalization inside each Lanczos run (default).</param>
public sealed record SpectralDensityOptions(
    int Probes = 10,
    int Steps = 80,
    double? Sigma = null,
    int GridPoints = 1000,
    long Seed = 0,
    bool Reorthogonalize = true);

/// <summary>The Gauss quadrature of one probe: nodes theta_j (Ritz values) and weights tau_j = (e_1^T s_j)^2, summing to 1.</summary>
/// <param name="Nodes">theta_j, ascending.</param>
/// <param name="Weights">tau_j.</param>
public sealed record QuadratureRule(double[] Nodes, double[] Weights);

/// <summary>A smoothed eigenvalue density estimated by stochastic Lanczos quadrature.</summary>
/// <param name="Grid">Points t_g, evenly spaced from min node - 7 sigma to max node + 7 sigma (the Gaussian tails beyond hold less than 3e-12).</param>
/// <param name="Density">phi(t_g), normalized so that the trapezoid rule over the grid gives 1.</param>
/// <param name="Sigma">The broadening used.</param>
/// <param name="Probes">The quadrature rule of every probe.</param>
/// <param name="Mean">The density's mean, trapezoid rule of t phi(t) over the grid; estimates tr(A) / n.</param>
/// <param name="TraceEstimate">n (1/N) sum_k sum_j tau_kj theta_kj, the quadrature estimate of tr(A).</param>
/// <param name="Dimension">n.</param>
/// <param name="Applications">Operator applications, summed over probes.</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record SpectralDensityResult(
    double[] Grid,
    double[] Density,
    double Sigma,
    IReadOnlyList<QuadratureRule> Probes,
    double Mean,
    double TraceEstimate,
    long Dimension,
    long Applications,
    double Seconds);

/// <summary>
/// Stochastic Lanczos quadrature (Golub and Meurant 1994; Lin, Saad and Yang 2016; Ghorbani, Krishnan and Xiao 2019):
/// a Gaussian-broadened estimate of the eigenvalue density of a symmetric operator.
/// </summary>
/// <remarks>
/// For each of N unit probes v_k = z_k / sqrt(n) (z_k Rademacher), m Lanczos steps from v_k give T_m = S diag(theta) S^T;
/// v_k^T g(A) v_k ~ sum_j tau_kj g(theta_kj) with tau_kj = S_{1j}^2. The density is
/// phi(t) = (1/N) sum_k sum_j tau_kj N(t; theta_kj, sigma^2), which integrates to 1 and has mean
/// (1/N) sum_k v_k^T A v_k, an unbiased estimate of tr(A) / n.
/// </remarks>
public static class SpectralDensity
{
    /// <summary>Estimates the spectral density of <paramref name="op"/>.</summary>
    /// <exception cref="LossLandscapeException">Fewer than 1 probe or step, fewer than 2 grid points, or a sigma that is not positive.</exception>
    public static SpectralDensityResult Estimate(ISymmetricOperator op, SpectralDensityOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new SpectralDensityOptions();
        if (o.Probes < 1) throw new LossLandscapeException($"Give at least one probe; got {o.Probes}.");
        if (o.Steps < 1) throw new LossLandscapeException($"Give at least one Lanczos step; got {o.Steps}.");
        if (o.GridPoints < 2) throw new LossLandscapeException($"The grid needs at least 2 points; got {o.GridPoints}.");
        if (o.Sigma is double sg && !(sg > 0 && double.IsFinite(sg)))
            throw new LossLandscapeException($"Sigma {sg} is not valid: give a positive broadening.");
        var watch = Stopwatch.StartNew();
        using var random = new RandomVectors(o.Seed);
        int steps = (int)Math.Min(o.Steps, op.Dimension);
        var rules = new List<QuadratureRule>();
        long applications = 0;
        for (int k = 0; k < o.Probes; k++)
        {
            using var scope = NewDisposeScope();
            var v = random.Rademacher(op.Dimension, op.DType, op.Device);
            v.div_(ParameterSpace.Norm(v));
            using var process = LanczosProcess.Run(op, v, steps, o.Reorthogonalize, _ => false, null, cancellationToken);
            applications += process.Applications;
            var (theta, rows) = SymmetricTridiagonal.EigenRows(process.Alpha, process.Beta, new[] { 0 });
            rules.Add(new QuadratureRule(theta, rows[0].Select(s => s * s).ToArray()));
            progress?.Report(k + 1);
        }

        double lo = rules.Min(r => r.Nodes[0]);
        double hi = rules.Max(r => r.Nodes[^1]);
        double sigma = o.Sigma ?? (hi > lo ? 0.01 * (hi - lo) : 1e-3 * Math.Max(Math.Abs(hi), 1.0));
        double a = lo - 7 * sigma, b = hi + 7 * sigma;
        int g = o.GridPoints;
        var grid = Enumerable.Range(0, g).Select(i => a + (b - a) * i / (g - 1)).ToArray();
        var density = new double[g];
        double norm = 1.0 / (o.Probes * sigma * Math.Sqrt(2 * Math.PI));
        foreach (var rule in rules)
            for (int j = 0; j < rule.Nodes.Length; j++)
            {
                double w = rule.Weights[j] * norm, c = rule.Nodes[j];
                for (int i = 0; i < g; i++)
                {
                    double d = (grid[i] - c) / sigma;
                    density[i] += w * Math.Exp(-0.5 * d * d);
                }
            }
        double h = (b - a) / (g - 1);
        double integral = Trapezoid(density, h);
        for (int i = 0; i < g; i++) density[i] /= integral;
        double mean = Trapezoid(grid.Select((t, i) => t * density[i]).ToArray(), h);
        double quadratureMean = rules.Sum(r => r.Nodes.Zip(r.Weights, (t, w) => t * w).Sum()) / o.Probes;
        return new SpectralDensityResult(grid, density, sigma, rules, mean, quadratureMean * op.Dimension, op.Dimension, applications, watch.Elapsed.TotalSeconds);
    }

    private static double Trapezoid(double[] f, double h)
    {
        double s = 0.5 * (f[0] + f[^1]);
        for (int i = 1; i < f.Length - 1; i++) s += f[i];
        return s * h;
    }
}
