using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// Orthonormal Lanczos vectors q_0, q_1, ... stored as rows of one matrix that grows by doubling, with full
/// reorthogonalization by classical Gram-Schmidt applied twice ("twice is enough", Giraud et al. 2005).
/// </summary>
internal sealed class KrylovBasis : IDisposable
{
    private Tensor _q;
    private readonly long _n;

    public KrylovBasis(long n, int capacity, ScalarType dtype, Device device)
    {
        _n = n;
        _q = empty(new long[] { Math.Max(capacity, 1), n }, dtype: dtype, device: device).DetachFromDisposeScope();
    }

    public int Count { get; private set; }

    public Tensor this[int i] => _q[i];

    public void Add(Tensor q)
    {
        if (Count == _q.shape[0])
        {
            var bigger = empty(new long[] { Math.Max(2 * _q.shape[0], 1), _n }, dtype: _q.dtype, device: _q.device).DetachFromDisposeScope();
            using (no_grad()) bigger.narrow(0, 0, Count).copy_(_q.narrow(0, 0, Count));
            _q.Dispose();
            _q = bigger;
        }
        using (no_grad()) _q[Count].copy_(q);
        Count++;
    }

    /// <summary>w minus its projection on span(q_0..q_{Count-1}), in place, twice.</summary>
    public void Orthogonalize(Tensor w)
    {
        if (Count == 0) return;
        using var scope = NewDisposeScope();
        var q = _q.narrow(0, 0, Count);
        for (int pass = 0; pass < 2; pass++)
        {
            var c = q.mv(w);
            w.sub_(q.t().mv(c));
        }
    }

    /// <summary>sum_i s_i q_i for the first s.Length vectors.</summary>
    public Tensor Combine(double[] s)
    {
        using var scope = NewDisposeScope();
        var coef = tensor(s, dtype: ScalarType.Float64).to(_q.dtype, _q.device);
        return _q.narrow(0, 0, s.Length).t().mv(coef).MoveToOuterDisposeScope();
    }

    public void Dispose() => _q.Dispose();
}
