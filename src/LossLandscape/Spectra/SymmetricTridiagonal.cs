namespace LossLandscape.Spectra;

/// <summary>
/// Eigenvalues and eigenvectors of a real symmetric tridiagonal matrix by the implicit QL algorithm with Wilkinson
/// shifts (Bowdler, Martin, Reinsch and Wilkinson 1968), backward stable: computed eigenvalues are exact for a matrix
/// within O(eps) |T| of T.
/// </summary>
/// <remarks>
/// T has diagonal a_0..a_{m-1} and off-diagonal b_0..b_{m-2} (T[i, i+1] = T[i+1, i] = b_i). Only the requested rows of the
/// eigenvector matrix are accumulated, so Lanczos can read the last row (residual estimates beta_m |s_{m-1,i}|) or the
/// first row (quadrature weights s_{0,i}^2) in O(m^2) work instead of O(m^3).
/// </remarks>
public static class SymmetricTridiagonal
{
    /// <summary>All eigenvalues in ascending order, and the full eigenvector matrix (column j belongs to value j).</summary>
    /// <exception cref="LossLandscapeException">The lengths do not fit (off-diagonal must have one element fewer), or a value is not finite.</exception>
    public static (double[] Values, double[,] Vectors) Eigen(IReadOnlyList<double> diagonal, IReadOnlyList<double> offDiagonal)
    {
        ArgumentNullException.ThrowIfNull(diagonal);
        var rows = Enumerable.Range(0, diagonal.Count).ToArray();
        var (values, z) = EigenRows(diagonal, offDiagonal, rows);
        int m = diagonal.Count;
        var vectors = new double[m, m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                vectors[i, j] = z[i][j];
        return (values, vectors);
    }

    /// <summary>
    /// All eigenvalues in ascending order, and the rows <paramref name="rows"/> of the eigenvector matrix:
    /// result Rows[r][j] is component rows[r] of the unit eigenvector of Values[j].
    /// </summary>
    /// <exception cref="LossLandscapeException">The lengths do not fit, a row index is out of range, or a value is not finite.</exception>
    public static (double[] Values, double[][] Rows) EigenRows(IReadOnlyList<double> diagonal, IReadOnlyList<double> offDiagonal, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(diagonal);
        ArgumentNullException.ThrowIfNull(offDiagonal);
        ArgumentNullException.ThrowIfNull(rows);
        int m = diagonal.Count;
        if (m == 0) throw new LossLandscapeException("A tridiagonal matrix needs at least one diagonal element.");
        if (offDiagonal.Count != m - 1)
            throw new LossLandscapeException($"A {m} x {m} tridiagonal matrix has {m - 1} off-diagonal elements; got {offDiagonal.Count}.");
        if (diagonal.Any(x => !double.IsFinite(x)) || offDiagonal.Any(x => !double.IsFinite(x)))
            throw new LossLandscapeException("The tridiagonal matrix holds NaN or Inf; the operator produced non-finite values.");
        var d = diagonal.ToArray();
        var e = new double[m];
        for (int i = 0; i < m - 1; i++) e[i] = offDiagonal[i];
        var z = new double[rows.Count][];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r] < 0 || rows[r] >= m) throw new LossLandscapeException($"Row {rows[r]} is outside the {m} x {m} matrix.");
            z[r] = new double[m];
            z[r][rows[r]] = 1.0;
        }
        Ql(d, e, z);
        // Sort ascending, permuting the tracked eigenvector components along.
        var order = Enumerable.Range(0, m).OrderBy(i => d[i]).ToArray();
        var values = order.Select(i => d[i]).ToArray();
        var sorted = z.Select(row => order.Select(i => row[i]).ToArray()).ToArray();
        return (values, sorted);
    }

    private static void Ql(double[] d, double[] e, double[][] z)
    {
        int n = d.Length;
        const double eps = 2.220446049250313e-16;
        for (int l = 0; l < n; l++)
        {
            int iterations = 0;
            while (true)
            {
                int m;
                for (m = l; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= eps * dd) break;
                }
                if (m == l) break;
                if (++iterations > 60)
                    throw new LossLandscapeException("The tridiagonal eigenvalue iteration did not converge in 60 sweeps for one eigenvalue.");
                double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                double r = Hypot(g, 1.0);
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.Abs(r) : -Math.Abs(r)));
                double s = 1.0, c = 1.0, p = 0.0;
                int i;
                bool underflow = false;
                for (i = m - 1; i >= l; i--)
                {
                    double f = s * e[i];
                    double b = c * e[i];
                    r = Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0.0)
                    {
                        d[i + 1] -= p;
                        e[m] = 0.0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    foreach (var row in z)
                    {
                        double t = row[i + 1];
                        row[i + 1] = s * row[i] + c * t;
                        row[i] = c * row[i] - s * t;
                    }
                }
                if (underflow) continue;
                d[l] -= p;
                e[l] = g;
                e[m] = 0.0;
            }
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double q = y / x;
        return x * Math.Sqrt(1 + q * q);
    }
}
