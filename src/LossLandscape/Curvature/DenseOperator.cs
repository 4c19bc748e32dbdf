using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>An explicit symmetric matrix as an operator (for tests and small problems).</summary>
/// <remarks>A v = M v with M stored densely (n x n); symmetry is checked to |M - M^T|_max &lt;= 1e-10 |M|_max for float64.</remarks>
public sealed class DenseOperator : SymmetricOperator, IDisposable
{
    private readonly Tensor _matrix;

    /// <summary>Wraps a copy of <paramref name="matrix"/> (square, floating point, symmetric).</summary>
    /// <exception cref="LossLandscapeException">The matrix is not square, not floating point, or not symmetric.</exception>
    public DenseOperator(Tensor matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.dim() != 2 || matrix.shape[0] != matrix.shape[1])
            throw new LossLandscapeException($"A dense operator needs a square matrix; got shape [{string.Join(", ", matrix.shape)}].");
        if (!matrix.is_floating_point())
            throw new LossLandscapeException($"A dense operator needs a floating-point matrix; got {matrix.dtype}.");
        using (var scope = NewDisposeScope())
        {
            double scale = matrix.abs().max().to(ScalarType.Float64).item<double>();
            double asym = (matrix - matrix.t()).abs().max().to(ScalarType.Float64).item<double>();
            double tol = (matrix.dtype == ScalarType.Float64 ? 1e-10 : 1e-5) * Math.Max(scale, double.Epsilon);
            if (asym > tol)
                throw new LossLandscapeException($"The matrix is not symmetric (max |M - M^T| = {asym:G3}, max |M| = {scale:G3}); symmetrize it with (M + M^T) / 2 first.");
        }
        using (NewDisposeScope()) _matrix = matrix.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>The matrix (not a copy; do not modify).</summary>
    public Tensor Matrix => _matrix;

    /// <inheritdoc />
    public override long Dimension => _matrix.shape[0];

    /// <inheritdoc />
    public override ScalarType DType => _matrix.dtype;

    /// <inheritdoc />
    public override Device Device => _matrix.device;

    /// <inheritdoc />
    protected override Tensor ApplyCore(Tensor v) => _matrix.mv(v);

    /// <summary>Frees the matrix.</summary>
    public void Dispose() => _matrix.Dispose();
}
