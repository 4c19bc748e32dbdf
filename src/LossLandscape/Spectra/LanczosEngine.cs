using LossLandscape.Curvature;
using LossLandscape.Parameters;
using MathNet.Numerics.LinearAlgebra;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// The Lanczos recurrence shared by <see cref="Lanczos"/> and <see cref="SpectralDensity"/>: a basis of at most
/// <c>capacity</c> vectors stored as the rows of one preallocated matrix, the projected matrix T = Q^T A Q, the
/// estimates of the loss of orthogonality, and (when a basis size m is given) the thick restart of Wu and Simon (2000)
/// with locking of converged Ritz pairs.
/// </summary>
/// <remarks>
/// <para>Step: w = A q_j - sum_i T_ij q_i (the three-term recurrence, plus the arrow of retained Ritz vectors in the first
/// step after a restart), alpha_j = q_j . A q_j, beta_j = |w|, q_{j+1} = w / beta_j.</para>
/// <para>Loss of orthogonality (Simon 1984, generalised to the arrowhead T of a restarted basis): with
/// A q_k = sum_i T_ik q_i for k &lt; j, beta_j w_{j+1,k} = (T W - W T)_{kj} + rounding, where W_ik ~ q_i . q_k and W_kk = 1.
/// The rounding term is modelled as max(3 eps |A|, 3 d) / beta_j with the sign of the rest, where d is the root mean square
/// of the measured q_{j-1} . A q_j - beta_{j-1} over the steps so far: in exact arithmetic that is zero, so it samples
/// the rounding of the operator's product (and of the step) along one basis vector. Some operators round far more
/// than eps |A| (the Gauss-Newton product by double vjp of a float64 tiny MLP: a root mean square of up to 200 eps |A|);
/// with 3 eps |A| alone their estimates fell 10-50 times below the measured overlaps, and new vectors went past
/// sqrt(eps) unnoticed (up to 2.6e-7 against 1.5e-8). On the float32 spectrum bench the samples are about eps |A|
/// (median 0.9, at most 9 eps |A|), so the estimate there is about as before: top-20 takes 43 Gram-Schmidt passes instead
/// of 42, top-10 23 instead of 21, and in paired runs the overhead per application rose by 0.1-0.8 %.</para>
/// <para>Thick restart (exact): when the basis B (m vectors, l of them locked) and the residual vector q_m are full, the
/// relation A B = [B, q_m] (T + F) holds up to rounding, F being what reorthogonalization removed from each product since
/// the last restart. With the Gram matrix of [B, q_m] (<see cref="RowCombination.TryGram"/>), the active vectors are
/// orthonormalized against the locked ones and among themselves, V = B X; the Rayleigh quotient V^T A V = X^T G (T + F) X
/// is diagonalised; the wanted Ritz vectors and some extra ones, y_i = V z_i, replace the active block, q_m orthonormalized
/// against B follows them as u, and T becomes diag(theta) with the arrow kappa_i = u^T A y_i (all recombined in place, see
/// <see cref="RowCombination"/>, so no second basis is allocated). The new basis is orthonormal to rounding and every
/// retained pair satisfies A y = theta y + kappa u to rounding, so the estimates restart at rounding level. (Restarting from
/// the Ritz vectors of T on the semi-orthogonal basis, as before, left them a relation residual of up to sqrt(eps) beta
/// outside the basis, which every later product fed back into them: on the spectrum bench top-20 needed 58 Gram-Schmidt
/// passes with that residual in the estimate, 26 now; top-10 26, now 4.) Retained pairs that the caller marks (converged to
/// rounding) are locked: they stay in the basis, take no part in later restarts, and their coupling is dropped from
/// the projected problem (an error of the size of that coupling, which the orthogonality estimate accounts for).</para>
/// </remarks>
internal sealed class LanczosEngine : IDisposable
{
    // Most values in the rows of a gap that partial reorthogonalization bridges (see Runs).
    private const long BridgeValues = 1 << 16;
    private readonly ISymmetricOperator _op;
    private readonly Tensor _q;
    private readonly int _capacity;
    private readonly int _restartAt;
    private readonly Reorthogonalization _mode;
    private readonly double _eps;
    private readonly double _delta;
    private readonly double _eta;
    private readonly double _breakdown;
    private readonly double[,] _t;
    private readonly double[,] _w;
    private readonly double[] _lockedResidual;
    // The Lanczos relation A Q = Q (T + F) + beta q_m e^T, where column k of F holds what reorthogonalization removed from
    // A q_k: _removed[i, k] is the coefficient along q_i, summed over passes, since the last restart (which uses it).
    private readonly double[,] _removed;
    private readonly double[] _omega;
    private bool _pending;
    // After a restart, the last row of _q holds z = sum_i T_{i,j} y_i, the retained Ritz vectors' arrow to the next vector
    // q_j, formed in the restart's matrix product, so that the first step after it need not read the r retained rows again.
    private bool _arrow;

    /// <param name="op">The operator.</param>
    /// <param name="capacity">Most vectors held: m + 1 when restarting, otherwise the most steps.</param>
    /// <param name="restartAt">Basis size m at which to restart (int.MaxValue: never).</param>
    /// <param name="mode">Reorthogonalization.</param>
    public LanczosEngine(ISymmetricOperator op, int capacity, int restartAt, Reorthogonalization mode)
    {
        _op = op;
        _capacity = Math.Max(capacity, 1);
        _restartAt = restartAt;
        _mode = mode;
        bool f64 = op.DType == ScalarType.Float64;
        _eps = f64 ? 2.220446049250313e-16 : 1.1920929e-7;
        _delta = Math.Sqrt(_eps);
        _eta = Math.Pow(_eps, 0.75);
        _breakdown = f64 ? 1e-12 : 1e-5;
        // One row more than the basis holds: Step writes A q_j into the row after the basis and forms the next vector there.
        _q = empty(new long[] { _capacity + 1, op.Dimension }, dtype: op.DType, device: op.Device).DetachFromDisposeScope();
        _t = new double[_capacity, _capacity];
        _w = new double[_capacity, _capacity];
        _lockedResidual = new double[_capacity];
        _removed = new double[_capacity, _capacity];
        _omega = new double[_capacity];
    }

    /// <summary>Vectors in the basis (the last one is the next to be applied, or the one just applied after <see cref="Step"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Locked Ritz vectors at the front of the basis.</summary>
    public int Locked { get; private set; }

    /// <summary>Operator applications so far.</summary>
    public long Applications { get; private set; }

    /// <summary>Thick restarts so far.</summary>
    public int Restarts { get; private set; }

    /// <summary>Passes of Gram-Schmidt so far (against the whole basis, or with partial reorthogonalization against the rows that need it).</summary>
    public int Reorthogonalizations { get; private set; }

    /// <summary>beta of the last step: the coupling of the current Ritz pairs to the residual vector.</summary>
    public double TrailingBeta { get; private set; }

    /// <summary>Unit roundoff of the dtype: pairs are locked only when their residual is below a small multiple of eps |A|.</summary>
    public double Epsilon => _eps;

    /// <summary>Largest |alpha| or beta seen, an estimate of |A|.</summary>
    public double Scale { get; private set; }

    /// <summary>The basis has been restarted, so T is no longer tridiagonal.</summary>
    public bool Restarted { get; private set; }

    private bool _forceNext;
    // Sum of squares and count of the measured rounding samples q_{j-1} . A q_j - beta_{j-1} (see the remarks).
    private double _noiseSquares;
    private long _noiseSamples;
    private const double NoiseFactor = 3;

    /// <summary>
    /// Starts from <paramref name="v"/> (normalized here), forgetting any earlier run: the engine and its basis memory can
    /// serve run after run (the density's probes), so that each run does not touch fresh memory again.
    /// </summary>
    public void Start(Tensor v)
    {
        Reset();
        using var scope = NewDisposeScope();
        double norm = ParameterSpace.Norm(v);
        if (!(norm > 0) || !double.IsFinite(norm))
            throw new LossLandscapeException("The start vector is zero or not finite.");
        using (no_grad()) _q[0].copy_(v).div_(norm);
        _w[0, 0] = 1;
        Count = 1;
    }

    private void Reset()
    {
        Count = Locked = Restarts = Reorthogonalizations = 0;
        Applications = 0;
        TrailingBeta = Scale = 0;
        Restarted = _forceNext = _pending = _arrow = false;
        _noiseSquares = 0;
        _noiseSamples = 0;
        Array.Clear(_t);
        Array.Clear(_w);
        Array.Clear(_lockedResidual);
        Array.Clear(_removed);
        Array.Clear(_omega);
    }

    /// <summary>Row i of the basis (a view).</summary>
    public Tensor this[int i] => _q[i];

    /// <summary>Entry (i, k) of the projected matrix T (tests).</summary>
    internal double Projected(int i, int k) => _t[i, k];

    /// <summary>The diagonal of T over the first <paramref name="m"/> vectors.</summary>
    public double[] Diagonal(int m) => Enumerable.Range(0, m).Select(i => _t[i, i]).ToArray();

    /// <summary>The off-diagonal of T over the first <paramref name="m"/> vectors (T tridiagonal: no restart).</summary>
    public double[] OffDiagonal(int m) => Enumerable.Range(0, Math.Max(m - 1, 0)).Select(i => _t[i, i + 1]).ToArray();

    /// <summary>
    /// Applies A to the last basis vector and forms the next (unnormalized) one in the row after it; T gains its last
    /// column. The product is written into that row (<see cref="ISymmetricOperator.ApplyInto"/>) and every update is in
    /// place, so a step makes no vector-sized temporary.
    /// </summary>
    public void Step()
    {
        int j = Count - 1;
        using var scope = NewDisposeScope();
        var q = _q[j];
        var w = _q[j + 1];
        for (int i = 0; i < _capacity; i++) _removed[i, j] = 0;
        _op.ApplyInto(q, w);
        Applications++;
        double a = ParameterSpace.WorkingDot(q, w);
        if (_mode == Reorthogonalization.Partial && !_arrow && j >= 1 && _t[j - 1, j] != 0)
        {
            // q_{j-1} . A q_j - beta_{j-1}: a sample of the rounding that the orthogonality estimate models. (One more
            // product of the two vectors; a single product of both rows q_{j-1}, q_j with w costs more on the CPU.)
            double d = ParameterSpace.WorkingDot(_q[j - 1], w) - _t[j - 1, j];
            if (double.IsFinite(d))
            {
                _noiseSquares += d * d;
                _noiseSamples++;
            }
        }
        if (!double.IsFinite(a))
            throw new LossLandscapeException("The operator returned NaN or Inf (check the model's weights and the data).");
        _t[j, j] = a;
        // w -= sum_i T_ij q_i in one pass over the rows that couple to q_j: q_{j-1} and q_j in the three-term
        // recurrence; in the first step after a restart, the arrow z to the retained Ritz vectors (formed by the restart)
        // and q_j (locked rows couple to nothing).
        using (no_grad())
        {
            if (_arrow)
            {
                w.sub_(_q[_capacity]).add_(q, alpha: -a);
                _arrow = false;
            }
            else
            {
                int lo = j;
                for (int i = 0; i < j; i++)
                    if (_t[i, j] != 0) { lo = i; break; }
                if (lo == j) w.add_(q, alpha: -a);
                else
                {
                    var c = tensor(Enumerable.Range(lo, j - lo + 1).Select(i => _t[i, j]).ToArray(), dtype: ScalarType.Float64).to(_op.DType, _op.Device);
                    w.addmv_(_q.narrow(0, lo, j - lo + 1).t(), c, beta: 1, alpha: -1);
                }
            }
        }
        double b = ParameterSpace.WorkingNorm(w);
        if (!double.IsFinite(b))
            throw new LossLandscapeException("The operator returned NaN or Inf (check the model's weights and the data).");
        Scale = Math.Max(Scale, Math.Max(Math.Abs(a), b));

        bool reorthogonalize = _mode == Reorthogonalization.Full;
        if (_mode == Reorthogonalization.Partial)
        {
            double worst = EstimateOrthogonality(j, b);
            if (_forceNext)
            {
                reorthogonalize = true;
                _forceNext = false;
            }
            else if (worst > _delta)
            {
                reorthogonalize = true;
                _forceNext = true;
            }
        }
        if (reorthogonalize && _mode == Reorthogonalization.Full)
        {
            b = Orthogonalize(w, new[] { (0, Count) }, b, removedColumn: j);
            for (int k = 0; k <= j; k++) _omega[k] = _eps;
        }
        else if (reorthogonalize)
        {
            // Modified partial reorthogonalization (Simon 1984; Larsen's PROPACK): only against the vectors whose estimated
            // overlap exceeds eps^(3/4), in contiguous runs of rows; the others are left semi-orthogonal, as they are.
            var runs = Runs(j);
            if (runs.Count > 0)
            {
                b = Orthogonalize(w, runs, b, removedColumn: j);
                foreach (var (start, length) in runs)
                    for (int k = start; k < start + length; k++) _omega[k] = _eps;
            }
        }
        TrailingBeta = b;
        _pending = true;
    }

    /// <summary>
    /// Adds the vector formed by <see cref="Step"/> to the basis, and restarts when the basis is full. On breakdown
    /// (beta ~ 0, an invariant subspace) continues from a random vector orthogonal to the basis when
    /// <paramref name="random"/> is given (coupling 0); returns false otherwise.
    /// </summary>
    public bool Advance(RandomVectors? random, Func<double[], double[], int[]>? chooseRetained)
    {
        int idx = Count;
        if (idx >= _capacity)
            throw new InvalidOperationException("The Lanczos basis is full.");
        if (!_pending) throw new InvalidOperationException("Step before Advance.");
        _pending = false;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var w = _q[idx];
            double b = TrailingBeta;
            if (b <= _breakdown * Scale)
            {
                if (random is null) return false;
                w.copy_(random.Gaussian(_op.Dimension, _op.DType, _op.Device));
                Orthogonalize(w, Count, ParameterSpace.WorkingNorm(w));
                Orthogonalize(w, Count, ParameterSpace.WorkingNorm(w));
                w.div_(ParameterSpace.WorkingNorm(w));
                for (int k = 0; k < idx; k++) _omega[k] = _eps;
            }
            else
            {
                w.mul_(1 / b);   // a multiply is several times cheaper than a divide on the CPU
                _t[idx - 1, idx] = _t[idx, idx - 1] = b;
            }
        }
        for (int k = 0; k < idx; k++) _w[idx, k] = _w[k, idx] = _omega[k];
        _w[idx, idx] = 1;
        Count++;
        if (Count == _restartAt + 1 && chooseRetained is not null) Restart(chooseRetained);
        return true;
    }

    /// <summary>
    /// The Ritz pairs of the current projected problem: locked pairs (their diagonal entries of T, the residual at
    /// locking) and the active block's eigenvalues with residuals TrailingBeta |s_{last,i}|. Ascending by value.
    /// With <paramref name="vectors"/>, also the eigenvector matrix of the active block (column i for active pair i).
    /// </summary>
    public RitzSet Ritz(bool vectors)
    {
        int l = Locked, s = Count - l;
        double[] theta;
        double[]? lastRow = null;
        double[,]? sMatrix = null;
        if (!Restarted && l == 0 && !vectors)
        {
            var (values, rows) = SymmetricTridiagonal.EigenRows(Diagonal(s), OffDiagonal(s), new[] { s - 1 });
            theta = values;
            lastRow = rows[0];
        }
        else
        {
            var m = Matrix<double>.Build.Dense(s, s, (i, k) => _t[l + i, l + k]);
            if (!m.Enumerate().All(double.IsFinite))
                throw new LossLandscapeException("The projected matrix holds NaN or Inf; the operator produced non-finite values.");
            var evd = m.Evd(Symmetricity.Symmetric);
            var order = Enumerable.Range(0, s).OrderBy(i => evd.EigenValues[i].Real).ToArray();
            theta = order.Select(i => evd.EigenValues[i].Real).ToArray();
            var ev = evd.EigenVectors;
            sMatrix = new double[s, s];
            for (int i = 0; i < s; i++)
                for (int c = 0; c < s; c++)
                    sMatrix[i, c] = ev[i, order[c]];
            lastRow = Enumerable.Range(0, s).Select(c => sMatrix[s - 1, c]).ToArray();
        }
        var all = new List<RitzPair>(l + s);
        for (int k = 0; k < l; k++) all.Add(new RitzPair(_t[k, k], _lockedResidual[k], k, -1));
        for (int c = 0; c < s; c++) all.Add(new RitzPair(theta[c], TrailingBeta * Math.Abs(lastRow[c]), -1, c));
        all.Sort((x, y) => x.Value.CompareTo(y.Value));
        return new RitzSet(all.ToArray(), sMatrix, l);
    }

    /// <summary>The unit Ritz vector of <paramref name="pair"/>; the caller owns it.</summary>
    public Tensor RitzVector(RitzSet set, RitzPair pair)
    {
        using var scope = NewDisposeScope();
        Tensor v;
        if (pair.LockedIndex >= 0) v = _q[pair.LockedIndex].clone();
        else
        {
            int s = Count - set.Locked;
            var col = Enumerable.Range(0, s).Select(i => set.Vectors![i, pair.ActiveIndex]).ToArray();
            var coef = tensor(col, dtype: ScalarType.Float64).to(_op.DType, _op.Device);
            v = _q.narrow(0, set.Locked, s).t().mv(coef);
        }
        v.div_(ParameterSpace.Norm(v));
        return v.MoveToOuterDisposeScope();
    }

    private double EstimateOrthogonality(int j, double beta)
    {
        double noise = _eps * 3 * Math.Max(Scale, double.Epsilon);
        if (_noiseSamples > 0) noise = Math.Max(noise, NoiseFactor * Math.Sqrt(_noiseSquares / _noiseSamples));
        double worst = 0;
        double b = Math.Max(beta, _breakdown * Math.Max(Scale, double.Epsilon));
        for (int k = 0; k < j; k++)
        {
            double x = 0;
            for (int i = 0; i <= j; i++)
                x += _t[i, k] * _w[i, j] - _w[k, i] * _t[i, j];
            // A locked vector's coupling s to a residual vector that a later restart recombined is no longer in T: A q_j
            // then has an unsubtracted component of up to s along it (pairs are locked only at s <= eps |A|).
            double nk = k < Locked ? noise + _lockedResidual[k] : noise;
            x = (x + (x >= 0 ? nk : -nk)) / b;
            _omega[k] = x;
            worst = Math.Max(worst, Math.Abs(x));
        }
        _omega[j] = noise / b;
        return worst;
    }

    /// <summary>w minus its projection on the first <paramref name="count"/> basis vectors; a second pass when the first removed too much.</summary>
    private double Orthogonalize(Tensor w, int count, double before) => Orthogonalize(w, new[] { (0, count) }, before);

    /// <summary>
    /// w minus its projection on the basis rows of <paramref name="runs"/> (start, length), by classical Gram-Schmidt run
    /// by run; a second pass when the first removed more than 1 - 1/sqrt(2) of the norm. With <c>removedColumn</c> >= 0 (the
    /// step whose product w is, under partial reorthogonalization), the coefficients removed are added to that column of
    /// <c>_removed</c>.
    /// </summary>
    private double Orthogonalize(Tensor w, IReadOnlyList<(int Start, int Length)> runs, double before, int removedColumn = -1)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double norm = before;
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (var (lo, len) in runs)
            {
                var q = _q.narrow(0, lo, len);
                using var c = q.mv(w);
                if (removedColumn >= 0)
                {
                    var removed = c.to(ScalarType.Float64).cpu().data<double>().ToArray();
                    for (int i = 0; i < len; i++) _removed[lo + i, removedColumn] += removed[i];
                }
                w.addmv_(q.t(), c, beta: 1, alpha: -1);
            }
            Reorthogonalizations++;
            double after = ParameterSpace.WorkingNorm(w);
            bool enough = after >= 0.7071067811865476 * norm;
            norm = after;
            if (enough) break;
        }
        return norm;
    }

    /// <summary>
    /// The rows k &lt;= j with |omega_k| &gt; eps^(3/4), as runs of consecutive rows. A gap of up to 4 rows is bridged
    /// when its rows hold at most 2^16 values in all: for short vectors one longer product beats two calls, but for long
    /// ones every bridged row is read twice more for nothing (on the spectrum bench, bridging added a fifth to the rows
    /// read by the passes).
    /// </summary>
    private List<(int Start, int Length)> Runs(int j)
    {
        var runs = new List<(int Start, int Length)>();
        int start = -1, end = -1;
        for (int k = 0; k <= j; k++)
        {
            if (!(Math.Abs(_omega[k]) > _eta)) continue;
            int gap = k - end - 1;
            if (start >= 0 && gap <= 4 && gap * _op.Dimension <= BridgeValues) end = k;
            else
            {
                if (start >= 0) runs.Add((start, end - start + 1));
                start = end = k;
            }
        }
        if (start >= 0) runs.Add((start, end - start + 1));
        return runs;
    }

    private void Restart(Func<double[], double[], int[]> chooseRetained)
    {
        int l = Locked, m = Count - 1, s = m - l;
        // The basis B (rows 0..m-1: l locked, then the s active ones) and the residual vector q (row m) satisfy, up to the
        // rounding of each product and the couplings dropped at locking, A B = [B, q] H with H = T + F ((m + 1) x m): T
        // the projected matrix with beta to q, F what reorthogonalization removed from each product. B is only
        // semi-orthogonal (overlaps up to sqrt(eps)) and F is of that size too, so the Ritz vectors of T alone, B s, would
        // satisfy their relation only to sqrt(eps) beta (a residual outside the basis that every later product feeds back
        // into them). Instead the restart is exact: with the Gram matrix G of [B, q], the active rows are orthonormalized
        // against the locked ones and among themselves (V = B X, X^T G X = I, V orthogonal to the locked rows), the
        // Rayleigh quotient V^T A V = X^T G H X is diagonalised, and q is orthonormalized against all of B: the new
        // basis is orthonormal to rounding and the relation A y = theta y + kappa u (u the new residual vector) holds to
        // rounding for every retained Ritz vector y.
        // Without reorthogonalization (the plain recurrence, for comparison) the basis is taken as orthonormal, G = I: the
        // classical thick restart from the Ritz vectors of T, y = B s and u = q_m.
        double[,] g;
        if (_mode == Reorthogonalization.None)
        {
            g = new double[m + 1, m + 1];
            for (int i = 0; i <= m; i++) g[i, i] = 1;
        }
        else g = RowCombination.Gram(_q, m + 1);
        var h = Matrix<double>.Build.Dense(m + 1, m, (i, k) => _t[i, k] + _removed[i, k]);
        var gram = Matrix<double>.Build.Dense(m + 1, m + 1, (i, k) => g[i, k]);
        var gBB = gram.SubMatrix(0, m, 0, m);
        var x = Matrix<double>.Build.Dense(m, s);
        try
        {
            // X = [-G_LL^-1 G_LA; I] R^-1, R^T R = G_AA - G_AL G_LL^-1 G_LA (the active rows less their locked components).
            var proj = Matrix<double>.Build.Dense(l, s);
            var schur = gBB.SubMatrix(l, s, l, s);
            if (l > 0)
            {
                var gLL = gBB.SubMatrix(0, l, 0, l);
                var gLA = gBB.SubMatrix(0, l, l, s);
                proj = gLL.Cholesky().Solve(gLA);
                schur -= gLA.TransposeThisAndMultiply(proj);
            }
            var rInv = schur.Cholesky().Factor.Transpose().Inverse();   // R = L^T upper; R^-1 upper
            var top = -proj * rInv;
            x.SetSubMatrix(0, 0, top);
            x.SetSubMatrix(l, 0, rInv);
        }
        catch (ArgumentException)
        {
            throw Lost();
        }
        // The Rayleigh quotient on span(V) and its eigenpairs; the coupling of each Ritz vector to u.
        var gh = gram * h;                                       // (m + 1) x m: [B, q]^T A B
        var mat = x.TransposeThisAndMultiply(gh.SubMatrix(0, m, 0, m) * x);
        mat = (mat + mat.Transpose()) * 0.5;
        if (!mat.Enumerate().All(double.IsFinite))
            throw new LossLandscapeException("The projected matrix holds NaN or Inf; the operator produced non-finite values.");
        var evd = mat.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, s).OrderBy(i => evd.EigenValues[i].Real).ToArray();
        var theta = order.Select(i => evd.EigenValues[i].Real).ToArray();
        var z = Matrix<double>.Build.Dense(s, s, (i, c) => evd.EigenVectors[i, order[c]]);
        var ritz = x * z;                                        // m x s: the Ritz vectors' coefficients over B
        // u = [B, q] x_u: q less its projection p = G_BB^-1 g_Bq on B, normalized.
        var gBq = gram.SubMatrix(0, m, m, 1);
        Matrix<double> p;
        double rho2;
        try
        {
            p = gBB.Cholesky().Solve(gBq);
            rho2 = g[m, m] - gBq.TransposeThisAndMultiply(p)[0, 0];
        }
        catch (ArgumentException)
        {
            throw Lost();
        }
        if (!(rho2 > 0)) throw Lost();
        var xu = Vector<double>.Build.Dense(m + 1, i => (i < m ? -p[i, 0] : 1) / Math.Sqrt(rho2));
        // kappa_c = u^T A y_c = x_u^T G H (ritz z_c).
        var kappa = (gh * ritz).TransposeThisAndMultiply(xu);
        var coupling = kappa.ToArray();
        var residual = coupling.Select(Math.Abs).ToArray();
        // The caller picks which active pairs to keep (indices into theta, ascending) and, by a negative sign (-1 - c),
        // which of them to lock.
        var picked = chooseRetained(theta, residual);
        var lockNew = picked.Where(c => c < 0).Select(c => -1 - c).ToArray();
        var keep = picked.Where(c => c >= 0).ToArray();
        var cols = lockNew.Concat(keep).ToArray();
        int r = cols.Length;
        if (r == 0 || r > s - 2)
            throw new InvalidOperationException($"A restart must keep between 1 and {s - 2} vectors; got {r}.");

        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            // Over the rows 0..m in place (no second basis is allocated): the retained Ritz vectors into rows l..l+r-1,
            // u into row l + r, and in the same product the arrow z = sum_a kappa_a y_a to u into the last row.
            int inputs = m + 1, outs = r + 2;
            var coef = new double[outs * inputs];
            for (int a = 0; a < r; a++)
                for (int i = 0; i < m; i++)
                {
                    coef[a * inputs + i] = ritz[i, cols[a]];
                    coef[(r + 1) * inputs + i] += ritz[i, cols[a]] * coupling[cols[a]];
                }
            for (int i = 0; i <= m; i++) coef[r * inputs + i] = xu[i];
            RowCombination.Combine(_q, 0, inputs, coef, Enumerable.Range(l, r + 1).Append(_capacity).ToArray());
            _arrow = true;
        }

        // The new basis is orthonormal to the rounding of the Gram matrix and of the combination (about sqrt(m) eps),
        // except among the locked rows, which keep their estimates.
        int newCount = l + r + 1;
        double level = _eps * Math.Sqrt(m + 1);
        var oldW = (double[,])_w.Clone();
        Array.Clear(_w);
        for (int i = 0; i < newCount; i++)
            for (int k = 0; k < newCount; k++)
                _w[i, k] = i == k ? 1 : i < l && k < l ? oldW[i, k] : level;

        // T' = diag(theta) with the arrow to u; locked rows keep their diagonal.
        var oldT = (double[,])_t.Clone();
        Array.Clear(_t);
        for (int i = 0; i < l; i++) _t[i, i] = oldT[i, i];
        for (int a = 0; a < r; a++)
        {
            int i = l + a;
            _t[i, i] = theta[cols[a]];
            _t[i, l + r] = _t[l + r, i] = coupling[cols[a]];
        }
        for (int a = 0; a < lockNew.Length; a++) _lockedResidual[l + a] = residual[lockNew[a]];
        Array.Clear(_removed);
        _forceNext = false;
        Locked = l + lockNew.Length;
        Count = newCount;
        Restarted = true;
        Restarts++;
    }

    private static LossLandscapeException Lost() =>
        new("The Lanczos basis lost its orthogonality (its Gram matrix is not positive definite at a restart); run with full reorthogonalization (--reorth full).");

    /// <summary>The engine's state at a step boundary (after <see cref="Advance"/>), without the basis.</summary>
    public EngineState Save() => new(Count, Locked, Applications, Restarts, Reorthogonalizations, TrailingBeta, Scale, Restarted, _forceNext,
        Flatten(_t, Count), Flatten(_w, Count), _lockedResidual.Take(Count).ToArray(), _arrow, _noiseSquares, _noiseSamples)
    {
        Removed = Flatten(_removed, Count),
    };

    /// <summary>The restart's arrow z when the next step is the first after a restart (stored after <see cref="Basis"/>), else null.</summary>
    public Tensor? Arrow => _arrow ? _q[_capacity] : null;

    /// <summary>The first <see cref="Count"/> basis vectors (a view).</summary>
    public Tensor Basis => _q.narrow(0, 0, Count);

    /// <summary>Restores a state written by <see cref="Save"/> and the basis rows it names (then the arrow, when it has one).</summary>
    public void Load(EngineState s, Tensor basis)
    {
        if (s.Count > _capacity || basis.shape[0] != s.StoredRows || basis.shape[1] != _op.Dimension)
            throw new LossLandscapeException($"The saved Lanczos state holds {basis.shape[0]} vectors of length {basis.shape[1]}; this run holds at most {_capacity} of length {_op.Dimension}.");
        using (no_grad())
        {
            _q.narrow(0, 0, s.Count).copy_(basis.narrow(0, 0, s.Count));
            if (s.Arrow) _q[_capacity].copy_(basis[s.Count]);
        }
        _arrow = s.Arrow;
        Count = s.Count;
        Locked = s.Locked;
        Applications = s.Applications;
        Restarts = s.Restarts;
        Reorthogonalizations = s.Reorthogonalizations;
        TrailingBeta = s.TrailingBeta;
        Scale = s.Scale;
        Restarted = s.Restarted;
        _forceNext = s.ForceNext;
        _noiseSquares = s.NoiseSquares;
        _noiseSamples = s.NoiseSamples;
        Array.Clear(_t);
        Array.Clear(_w);
        for (int i = 0; i < Count; i++)
            for (int k = 0; k < Count; k++)
            {
                _t[i, k] = s.T[i * Count + k];
                _w[i, k] = s.W[i * Count + k];
            }
        for (int i = 0; i < Count; i++) _lockedResidual[i] = s.LockedResiduals[i];
        // States written before what reorthogonalization removed was kept load with zeros: they resume correctly, but the
        // next restart is not exact for that cycle, and not bit for bit as the run would have gone on.
        Array.Clear(_removed);
        if (s.Removed is { } rem && rem.Length == Count * Count)
            for (int i = 0; i < Count; i++)
                for (int k = 0; k < Count; k++)
                    _removed[i, k] = rem[i * Count + k];
    }

    private static double[] Flatten(double[,] a, int n)
    {
        var r = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
                r[i * n + k] = a[i, k];
        return r;
    }

    public void Dispose()
    {
        _q.Dispose();
    }
}

/// <summary>A Ritz pair of the projected problem: a locked basis vector (LockedIndex) or active eigenpair (ActiveIndex).</summary>
internal readonly record struct RitzPair(double Value, double Residual, int LockedIndex, int ActiveIndex);

/// <summary>The Ritz pairs, ascending, and the active block's eigenvectors when asked for.</summary>
internal sealed record RitzSet(RitzPair[] Pairs, double[,]? Vectors, int Locked);

/// <summary>What <see cref="LanczosEngine"/> needs to continue exactly (the basis is stored beside it).</summary>
internal sealed record EngineState(int Count, int Locked, long Applications, int Restarts, int Reorthogonalizations, double TrailingBeta,
    double Scale, bool Restarted, bool ForceNext, double[] T, double[] W, double[] LockedResiduals, bool Arrow = false,
    double NoiseSquares = 0, long NoiseSamples = 0)
{
    /// <summary>What reorthogonalization removed since the last restart, row-major Count x Count (null in states written before it was kept).</summary>
    public double[]? Removed { get; init; }

    /// <summary>Vectors stored beside the state: the basis, then the restart's arrow when the next step is the first after a restart.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int StoredRows => Count + (Arrow ? 1 : 0);
}
