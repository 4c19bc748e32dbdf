using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LossLandscape.Curvature;
using LossLandscape.IO;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// Extreme eigenvalues of a symmetric operator by the Lanczos algorithm (Lanczos 1950; Golub and Van Loan, Matrix
/// Computations, ch. 10) with thick restart and locking (Wu and Simon 2000) and partial reorthogonalization (Simon 1984).
/// </summary>
/// <remarks>
/// After j steps, A Q_j = Q_j T_j + beta_j q_{j+1} e_j^T with T_j tridiagonal (arrowhead after a restart). The eigenpairs
/// (theta_i, s_i) of T_j give Ritz pairs (theta_i, Q_j s_i) with residual |A Q_j s_i - theta_i Q_j s_i| = beta_j |e_j^T s_i|.
/// With a basis of m vectors the run restarts from the wanted Ritz vectors (and some extra ones) whenever the basis is
/// full, so memory is m + 2 vectors (the basis, the residual and the product being formed) whatever the number of steps. The run stops when every requested pair has
/// r_i &lt;= tol * max_j |theta_j|, after <see cref="LanczosOptions.MaxIterations"/> steps, or (full basis) at n steps, where it is exact.
/// </remarks>
public static class Lanczos
{
    private const string StateName = "lanczos.state";
    // A pair is locked at residual <= 10 eps max|theta|. The dropped coupling s makes every later vector lose orthogonality
    // to the locked one by up to s / beta per step, which the estimate must assume: at 100 eps (before), the locked rows'
    // estimates crossed sqrt(eps) within about five steps of every restart and set off nearly every reorthogonalization
    // on the spectrum bench (their measured overlaps were mostly 5-10 times lower, though right after some restarts up to
    // 4 times higher: the estimate is a model, not a bound); at 10 eps top-20 takes 42 Gram-Schmidt passes instead of 50
    // (top-10: 21 instead of 28), with the same applications and restarts.
    private const double LockResidual = 10;
    private const string ResultName = "lanczos.result.json";

    /// <summary>Computes the requested extreme eigenvalues of <paramref name="op"/>.</summary>
    /// <exception cref="LossLandscapeException">Top/Bottom negative, none requested, or more than the dimension; a bad tolerance, iteration limit or basis size; a checkpoint of another run.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; with a checkpoint, the state was written first.</exception>
    public static EigenResult Run(ISymmetricOperator op, LanczosOptions? options = null, IProgress<EigenProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(op, options, progress, cancellationToken, null);

    /// <summary>As the public overload; <paramref name="afterAdvance"/> sees the engine after each new vector joins the basis (tests check its orthogonality).</summary>
    internal static EigenResult Run(ISymmetricOperator op, LanczosOptions? options, IProgress<EigenProgress>? progress, CancellationToken cancellationToken,
        Action<LanczosEngine>? afterAdvance)
    {
        ArgumentNullException.ThrowIfNull(op);
        var o = options ?? new LanczosOptions();
        int k = Validate(op, o.Top, o.Bottom);
        if (!(o.Tolerance >= 0) || !double.IsFinite(o.Tolerance))
            throw new LossLandscapeException($"Tolerance {o.Tolerance} is not valid: give a number >= 0.");
        if (o.MaxIterations is int mi && mi < k)
            throw new LossLandscapeException($"MaxIterations {mi} is below the {k} eigenvalues asked for.");
        int m = o.BasisSize ?? LanczosOptions.DefaultBasisSize(k);
        long n = op.Dimension;
        if (m < k + 2 && m < n)
            throw new LossLandscapeException($"Basis size {m} is too small for {k} eigenvalues: give at least {k + 2} (default max(2k + 1, 20) = {LanczosOptions.DefaultBasisSize(k)}).");
        int defaultMax = m < n ? Math.Max(200, 10 * k + 100) : (int)Math.Min(n, Math.Max(100, 4 * k + 40));
        int maxSteps = o.MaxIterations ?? defaultMax;
        bool restart = m < n && m < maxSteps;
        if (!restart) maxSteps = (int)Math.Min(maxSteps, n);
        int capacity = restart ? m + 1 : maxSteps;
        o.Checkpoint?.EnsureWritable();
        string fingerprint = string.Create(CultureInfo.InvariantCulture,
            $"lanczos n={n} dtype={op.DType} top={o.Top} bottom={o.Bottom} tol={o.Tolerance:R} basis={(restart ? m : 0)} max={maxSteps} reorth={o.Reorthogonalization} seed={o.Seed} tag={o.Checkpoint?.Tag}");
        string? statePath = o.Checkpoint is null ? null : Path.Combine(o.Checkpoint.Directory, StateName);
        string? resultPath = o.Checkpoint is null ? null : Path.Combine(o.Checkpoint.Directory, ResultName);
        if (resultPath is not null && File.Exists(resultPath) && !o.ReturnEigenvectors)
        {
            var done = ReadResult(resultPath);
            if (done.Fingerprint == fingerprint) return done.Result;
            throw Mismatch(resultPath, done.Fingerprint, fingerprint);
        }

        var watch = Stopwatch.StartNew();
        using var random = new RandomVectors(o.Seed);
        using var engine = new LanczosEngine(op, capacity, restart ? m : int.MaxValue, o.Reorthogonalization);
        if (statePath is not null && File.Exists(statePath))
        {
            var (state, basis) = StateFile.Read<LanczosState>(statePath, s => s.Engine.StoredRows, n, op.DType, op.Device);
            if (state.Fingerprint != fingerprint) { basis?.Dispose(); throw Mismatch(statePath, state.Fingerprint, fingerprint); }
            using (basis) engine.Load(state.Engine, basis!);
            random.State = state.Random;
        }
        else
        {
            using var scope = NewDisposeScope();
            engine.Start(random.Gaussian(n, op.DType, op.Device));
        }

        void Save()
        {
            if (statePath is null) return;
            StateFile.Write(statePath, new LanczosState(fingerprint, engine.Save(), random.State), engine.Basis, engine.Arrow);
        }

        // Thick restart: keep the wanted Ritz pairs not yet locked and a third of the rest of the active block (the extra
        // ones speed convergence up; on the spectrum bench a third needs no more applications than a half, with fewer and
        // cheaper restarts, while a quarter costs top-10 8 % more), split between the ends as the request is; lock the
        // wanted ones converged to rounding, never more than min(k, m - 3) in all so that the active block keeps room to grow.
        int lockCap = Math.Min(k, m - 3);
        int[] Choose(double[] theta, double[] residual)
        {
            int s = theta.Length;
            double scale = theta.Max(Math.Abs);
            int left = Math.Max(1, k - engine.Locked);
            int r = Math.Max(Math.Min(left, s - 2), Math.Min(s - 2, left + (s - left) / 3));
            int rTop = o.Bottom == 0 ? r : o.Top == 0 ? 0 : r < 2 ? r : Math.Clamp((int)Math.Round(r * (double)o.Top / k), 1, r - 1);
            int canLock = Math.Max(0, lockCap - engine.Locked);
            var picked = new List<int>();
            void Take(int c, bool wanted)
            {
                // Locking drops the pair's coupling to the rest of the basis, so only pairs converged to rounding
                // (as in ARPACK and TRLan) are locked; pairs that merely meet the tolerance stay in the active block.
                bool lockIt = wanted && canLock > 0 && residual[c] <= Math.Min(o.Tolerance, LockResidual * engine.Epsilon) * scale;
                if (lockIt) canLock--;
                picked.Add(lockIt ? -1 - c : c);
            }
            for (int i = 0; i < rTop; i++) Take(s - 1 - i, i < o.Top);
            for (int i = 0; i < r - rTop; i++) Take(i, i < o.Bottom);
            return picked.ToArray();
        }

        bool converged = false;
        RitzPair[] last = Array.Empty<RitzPair>();
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Save();
                throw new OperationCanceledException(statePath is null
                    ? $"Lanczos cancelled after {engine.Applications} applications."
                    : $"Lanczos interrupted after {engine.Applications} applications; its state is in {o.Checkpoint!.Directory}: run the same command again to resume.",
                    cancellationToken);
            }
            engine.Step();
            var set = engine.Ritz(false);
            last = set.Pairs;
            converged = Report(set.Pairs, engine, o, k, progress);
            bool exact = !restart && engine.Count >= n;
            if (converged || exact || engine.Applications >= maxSteps) { converged |= exact; break; }
            if (!engine.Advance(random, restart ? Choose : null)) break;
            afterAdvance?.Invoke(engine);
            if (statePath is not null && engine.Applications % o.Checkpoint!.Every == 0) Save();
        }

        var final = o.ReturnEigenvectors ? engine.Ritz(true) : new RitzSet(last, null, engine.Locked);
        var pairs = final.Pairs;
        var top = Enumerable.Range(0, Math.Min(o.Top, pairs.Length)).Select(i => pairs[pairs.Length - 1 - i]).ToArray();
        var bottom = Enumerable.Range(0, Math.Min(o.Bottom, pairs.Length)).Select(i => pairs[i]).ToArray();
        IReadOnlyList<Tensor>? topVectors = null, bottomVectors = null;
        if (o.ReturnEigenvectors)
        {
            topVectors = top.Select(p => engine.RitzVector(final, p).DetachFromDisposeScope()).ToArray();
            bottomVectors = bottom.Select(p => engine.RitzVector(final, p).DetachFromDisposeScope()).ToArray();
        }
        var result = new EigenResult("lanczos", top.Select(p => p.Value).ToArray(), bottom.Select(p => p.Value).ToArray(),
            top.Select(p => p.Residual).ToArray(), bottom.Select(p => p.Residual).ToArray(),
            engine.Applications, (int)engine.Applications, converged, watch.Elapsed.TotalSeconds)
        {
            Eigenvectors = topVectors,
            BottomEigenvectors = bottomVectors,
            BasisSize = restart ? m : 0,
            Restarts = engine.Restarts,
            Reorthogonalizations = engine.Reorthogonalizations,
        };
        if (resultPath is not null)
            AtomicFile.WriteAllText(resultPath, JsonSerializer.Serialize(new LanczosDone(fingerprint, result), StateFile.Json));
        return result;
    }

    private static bool Report(RitzPair[] pairs, LanczosEngine engine, LanczosOptions o, int k, IProgress<EigenProgress>? progress)
    {
        int nt = Math.Min(o.Top, pairs.Length), nb = Math.Min(o.Bottom, pairs.Length);
        var top = Enumerable.Range(0, nt).Select(i => pairs[pairs.Length - 1 - i]).ToArray();
        var bottom = Enumerable.Range(0, nb).Select(i => pairs[i]).ToArray();
        progress?.Report(new EigenProgress((int)engine.Applications, top.Select(p => p.Value).ToArray(), bottom.Select(p => p.Value).ToArray(),
            top.Select(p => p.Residual).ToArray(), bottom.Select(p => p.Residual).ToArray()) { Locked = engine.Locked, Restarts = engine.Restarts });
        if (pairs.Length < k) return false;
        double scale = pairs.Max(p => Math.Abs(p.Value));
        return top.Concat(bottom).All(p => p.Residual <= o.Tolerance * scale);
    }

    private static LanczosDone ReadResult(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<LanczosDone>(File.ReadAllText(path), StateFile.Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new LossLandscapeException($"The result file '{path}' cannot be read ({e.Message}); delete it to run again.");
        }
    }

    private static LossLandscapeException Mismatch(string path, string found, string wanted) =>
        new($"'{path}' belongs to another run ({found}; this run: {wanted}); give another checkpoint directory or delete the file to start afresh.");

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
}

/// <summary>The state file of a Lanczos run.</summary>
internal sealed record LanczosState(string Fingerprint, EngineState Engine, byte[] Random);

/// <summary>The result file of a finished Lanczos run.</summary>
internal sealed record LanczosDone(string Fingerprint, EigenResult Result);
