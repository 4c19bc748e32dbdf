using System.Diagnostics;
using System.Globalization;
using MathNet.Numerics.Distributions;
using LossLandscape.Curvature;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// Stochastic Lanczos quadrature (Golub and Meurant 1994; Lin, Saad and Yang 2016; Ghorbani, Krishnan and Xiao 2019):
/// a Gaussian-broadened estimate of the eigenvalue density of a symmetric operator.
/// </summary>
/// <remarks>
/// For each of N unit probes v_k = z_k / sqrt(n) (z_k Rademacher, drawn from the seed and k alone, so that probes split across
/// processes give the same rules: <see cref="DensityShards"/>), m Lanczos steps from v_k give T_m = S diag(theta) S^T;
/// v_k^T g(A) v_k ~ sum_j tau_kj g(theta_kj) with tau_kj = S_{1j}^2. The density is
/// phi(t) = (1/N) sum_k sum_j tau_kj N(t; theta_kj, sigma^2), which integrates to 1 and has mean
/// (1/N) sum_k v_k^T A v_k, an unbiased estimate of tr(A) / n.
/// </remarks>
public static class SpectralDensity
{
    private const string StateName = "density.state";

    /// <summary>Estimates the spectral density of <paramref name="op"/>.</summary>
    /// <exception cref="LossLandscapeException">Fewer than 1 probe or step, fewer than 2 grid points, or a sigma that is not positive.</exception>
    public static SpectralDensityResult Estimate(ISymmetricOperator op, SpectralDensityOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new SpectralDensityOptions();
        Validate(o);
        o.Checkpoint?.EnsureWritable();
        var watch = Stopwatch.StartNew();
        int steps = Steps(op, o);
        string fingerprint = string.Create(CultureInfo.InvariantCulture,
            $"slq2 n={op.Dimension} dtype={op.DType} probes={o.Probes} steps={steps} reorth={o.Reorthogonalization} seed={o.Seed} tag={o.Checkpoint?.Tag}");
        string? statePath = o.Checkpoint is null ? null : Path.Combine(o.Checkpoint.Directory, StateName);
        var rules = new List<QuadratureRule>();
        long applications = 0;
        LanczosEngine? engine = null, spare = null;
        try
        {
            if (statePath is not null && File.Exists(statePath))
            {
                var (state, basis) = StateFile.Read<DensityState>(statePath, s => s.Engine?.StoredRows ?? 0, op.Dimension, op.DType, op.Device);
                using (basis)
                {
                    if (state.Fingerprint != fingerprint)
                        throw new LossLandscapeException($"'{statePath}' belongs to another run ({state.Fingerprint}; this run: {fingerprint}); give another checkpoint directory or delete the file to start afresh.");
                    rules.AddRange(state.Rules);
                    applications = state.Applications;
                    if (state.Engine is not null)
                    {
                        engine = new LanczosEngine(op, steps, int.MaxValue, o.Reorthogonalization);
                        engine.Load(state.Engine, basis!);
                    }
                }
            }

            void Save()
            {
                if (statePath is null) return;
                StateFile.Write(statePath, new DensityState(fingerprint, rules.ToArray(), applications, engine?.Save()), engine?.Basis, engine?.Arrow);
            }

            while (rules.Count < o.Probes)
            {
                engine ??= Start(op, o, steps, rules.Count, spare);
                spare = null;
                var rule = Run(engine, steps, () =>
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        Save();
                        throw new OperationCanceledException(statePath is null
                            ? $"The density was cancelled after {rules.Count} probes."
                            : $"The density was interrupted after {rules.Count} probes; its state is in {o.Checkpoint!.Directory}: run the same command again to resume.",
                            cancellationToken);
                    }
                }, finished =>
                {
                    applications++;
                    if (!finished && statePath is not null && applications % o.Checkpoint!.Every == 0) Save();
                });
                rules.Add(rule);
                // The next probe reuses this engine's basis: fresh memory costs a page fault per page on its first touch.
                spare = engine;
                engine = null;
                if (statePath is not null) Save();
                progress?.Report(rules.Count);
            }
        }
        finally
        {
            engine?.Dispose();
            spare?.Dispose();
        }
        return Smooth(rules, o, op.Dimension, applications, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Probe <paramref name="index"/> alone: the Lanczos run from its start vector (which depends only on the seed and the
    /// index), exactly as <see cref="Estimate"/> runs it, so that probes computed apart (<see cref="DensityShards"/>) give
    /// the same quadrature rules. <see cref="SpectralDensityOptions.Checkpoint"/> is not used.
    /// </summary>
    /// <exception cref="LossLandscapeException">Invalid options, or an index outside [0, Probes).</exception>
    public static DensityProbeValue Probe(ISymmetricOperator op, SpectralDensityOptions options, int index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (index < 0 || index >= options.Probes)
            throw new LossLandscapeException($"Probe {index} is not one of the {options.Probes} probes.");
        int steps = Steps(op, options);
        using var engine = Start(op, options, steps, index);
        long applications = 0;
        var rule = Run(engine, steps, cancellationToken.ThrowIfCancellationRequested, _ => applications++);
        return new DensityProbeValue(index, rule.Nodes, rule.Weights, applications);
    }

    /// <summary>
    /// The smoothed density from the probes' quadrature rules (in probe order), as <see cref="Estimate"/> ends: used to
    /// merge probes computed apart. <see cref="SpectralDensityOptions.Sigma"/>, <see cref="SpectralDensityOptions.GridPoints"/>
    /// and <see cref="SpectralDensityOptions.Confidence"/> shape the result.
    /// </summary>
    /// <exception cref="LossLandscapeException">No rule, or invalid options.</exception>
    public static SpectralDensityResult FromRules(IReadOnlyList<QuadratureRule> rules, SpectralDensityOptions options, long dimension, long applications, double seconds = 0)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (rules.Count == 0) throw new LossLandscapeException("The density needs the quadrature rule of at least one probe.");
        return Smooth(rules.ToList(), options, dimension, applications, seconds);
    }

    private static void Validate(SpectralDensityOptions o)
    {
        if (o.Probes < 1) throw new LossLandscapeException($"Give at least one probe; got {o.Probes}.");
        if (o.Steps < 1) throw new LossLandscapeException($"Give at least one Lanczos step; got {o.Steps}.");
        if (o.GridPoints < 2) throw new LossLandscapeException($"The grid needs at least 2 points; got {o.GridPoints}.");
        if (o.Sigma is double sg && !(sg > 0 && double.IsFinite(sg)))
            throw new LossLandscapeException($"Sigma {sg} is not valid: give a positive broadening.");
        if (!(o.Confidence > 0 && o.Confidence < 1))
            throw new LossLandscapeException($"Confidence {o.Confidence} is not valid: give a level in (0, 1), for example 0.95.");
    }

    private static int Steps(ISymmetricOperator op, SpectralDensityOptions o) => (int)Math.Min(o.Steps, op.Dimension);

    /// <summary>
    /// A Lanczos run started from probe <paramref name="index"/>'s vector (Rademacher, from <see cref="RandomVectors.ForProbe"/>),
    /// in <paramref name="reuse"/> (an engine of an earlier probe of the same run) when given.
    /// </summary>
    private static LanczosEngine Start(ISymmetricOperator op, SpectralDensityOptions o, int steps, int index, LanczosEngine? reuse = null)
    {
        var engine = reuse ?? new LanczosEngine(op, steps, int.MaxValue, o.Reorthogonalization);
        using var scope = NewDisposeScope();
        using var random = RandomVectors.ForProbe(o.Seed, index);
        engine.Start(random.Rademacher(op.Dimension, op.DType, op.Device));
        return engine;
    }

    /// <summary>Steps <paramref name="engine"/> to <paramref name="steps"/> (or its breakdown) and returns the Gauss quadrature rule of its tridiagonal.</summary>
    private static QuadratureRule Run(LanczosEngine engine, int steps, Action beforeStep, Action<bool> afterStep)
    {
        bool finished;
        do
        {
            beforeStep();
            engine.Step();
            finished = engine.Count >= steps || !engine.Advance(null, null);
            afterStep(finished);
        }
        while (!finished);
        int c = engine.Count;
        var (theta, rows) = SymmetricTridiagonal.EigenRows(engine.Diagonal(c), engine.OffDiagonal(c), new[] { 0 });
        return new QuadratureRule(theta, rows[0].Select(x => x * x).ToArray());
    }

    private static SpectralDensityResult Smooth(List<QuadratureRule> rules, SpectralDensityOptions o, long dimension, long applications, double seconds)
    {
        double lo = rules.Min(r => r.Nodes[0]);
        double hi = rules.Max(r => r.Nodes[^1]);
        double sigma = o.Sigma ?? (hi > lo ? 0.01 * (hi - lo) : 1e-3 * Math.Max(Math.Abs(hi), 1.0));
        double a = lo - 7 * sigma, b = hi + 7 * sigma;
        int g = o.GridPoints, np = rules.Count;
        var grid = Enumerable.Range(0, g).Select(i => a + (b - a) * i / (g - 1)).ToArray();
        // Each probe's own density phi_k; the estimate is their mean.
        var perProbe = new double[np][];
        double norm = 1.0 / (sigma * Math.Sqrt(2 * Math.PI));
        for (int k = 0; k < np; k++)
        {
            var rule = rules[k];
            var d = perProbe[k] = new double[g];
            for (int j = 0; j < rule.Nodes.Length; j++)
            {
                double w = rule.Weights[j] * norm, c = rule.Nodes[j];
                for (int i = 0; i < g; i++)
                {
                    double z = (grid[i] - c) / sigma;
                    d[i] += w * Math.Exp(-0.5 * z * z);
                }
            }
        }
        var density = new double[g];
        for (int i = 0; i < g; i++) density[i] = perProbe.Average(p => p[i]);
        double h = (b - a) / (g - 1);
        double integral = Trapezoid(density, h);
        for (int i = 0; i < g; i++) density[i] /= integral;
        foreach (var p in perProbe)
            for (int i = 0; i < g; i++) p[i] /= integral;
        var stderr = new double[g];
        var lower = new double[g];
        var upper = new double[g];
        double q = np > 1 ? StudentT.InvCDF(0, 1, np - 1, (1 + o.Confidence) / 2) : 0;
        for (int i = 0; i < g; i++)
        {
            double sd = np > 1 ? Math.Sqrt(perProbe.Sum(p => (p[i] - density[i]) * (p[i] - density[i])) / (np - 1)) : 0;
            stderr[i] = sd / Math.Sqrt(np);
            lower[i] = Math.Max(0, density[i] - q * stderr[i]);
            upper[i] = density[i] + q * stderr[i];
        }
        double mean = Trapezoid(grid.Select((t, i) => t * density[i]).ToArray(), h);
        var probeMeans = rules.Select(r => r.Nodes.Zip(r.Weights, (t, w) => t * w).Sum()).ToArray();
        double quadratureMean = probeMeans.Average();
        double traceSe = np > 1 ? dimension * Math.Sqrt(probeMeans.Sum(x => (x - quadratureMean) * (x - quadratureMean)) / (np - 1) / np) : 0;
        return new SpectralDensityResult(grid, density, sigma, rules, mean, quadratureMean * dimension, dimension, applications, seconds)
        {
            DensityStandardError = stderr,
            DensityLower = lower,
            DensityUpper = upper,
            Confidence = o.Confidence,
            TraceStandardError = traceSe,
        };
    }

    private static double Trapezoid(double[] f, double h)
    {
        double s = 0.5 * (f[0] + f[^1]);
        for (int i = 1; i < f.Length - 1; i++) s += f[i];
        return s * h;
    }
}

/// <summary>The state file of a density run.</summary>
internal sealed record DensityState(string Fingerprint, QuadratureRule[] Rules, long Applications, EngineState? Engine);
