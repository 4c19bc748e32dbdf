namespace LossLandscape.Permutations;

/// <summary>
/// The linear assignment problem on a dense square matrix: the permutation sigma that minimizes (or maximizes)
/// sum_i C[i, sigma(i)].
/// </summary>
/// <remarks>
/// <para>
/// The shortest-augmenting-path form of the Hungarian method with row and column potentials (Kuhn 1955, Munkres 1957;
/// as organized by Jonker and Volgenant 1987, without their initialization heuristics): rows are added one at a time,
/// each by one Dijkstra-like search over reduced costs C[i, j] - u_i - v_j &gt;= 0, so the whole solve is O(n^3) time
/// and O(n) extra memory beyond the matrix. For the widths that alignment meets (16 to a few thousand units per layer)
/// that is milliseconds to a few seconds.
/// </para>
/// <para>
/// Why our own and not Google.OrTools' <c>LinearSumAssignment</c> (served on NuGet, 9.15): OR-Tools' solver takes
/// integer (int64) costs, so the float64 inner products of weight and activation matching would have to be scaled and
/// rounded, which changes the answer between near-ties; and the package brings a native runtime per platform plus
/// Google.Protobuf into every consumer of this library for one 60-line routine. This solver works on doubles directly,
/// has no native dependency, and is tested against brute force over all permutations of small random matrices.
/// </para>
/// </remarks>
public static class LinearAssignment
{
    /// <summary>
    /// The assignment sigma (row i goes to column sigma[i]) minimizing sum_i cost[i, sigma(i)], or maximizing it when
    /// <paramref name="maximize"/> is set.
    /// </summary>
    /// <exception cref="ArgumentException">The matrix is not square, is empty, or holds a NaN or an infinity.</exception>
    public static int[] Solve(double[,] cost, bool maximize = false)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int n = cost.GetLength(0);
        if (n == 0 || cost.GetLength(1) != n)
            throw new ArgumentException($"The assignment needs a non-empty square matrix; got {cost.GetLength(0)} x {cost.GetLength(1)}.", nameof(cost));
        foreach (var c in cost)
            if (!double.IsFinite(c)) throw new ArgumentException("The cost matrix holds a NaN or an infinity.", nameof(cost));
        double sign = maximize ? -1 : 1;

        // 1-based arrays; column 0 is the virtual start of each search.
        var u = new double[n + 1];
        var v = new double[n + 1];
        var rowOf = new int[n + 1];      // rowOf[j]: the row assigned to column j (0 = none)
        var way = new int[n + 1];
        var minv = new double[n + 1];
        var used = new bool[n + 1];
        for (int i = 1; i <= n; i++)
        {
            rowOf[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Fill(used, false);
            do
            {
                used[j0] = true;
                int i0 = rowOf[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    double reduced = sign * cost[i0 - 1, j - 1] - u[i0] - v[j];
                    if (reduced < minv[j])
                    {
                        minv[j] = reduced;
                        way[j] = j0;
                    }
                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[rowOf[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (rowOf[j0] != 0);
            do
            {
                int j1 = way[j0];
                rowOf[j0] = rowOf[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var sigma = new int[n];
        for (int j = 1; j <= n; j++) sigma[rowOf[j] - 1] = j - 1;
        return sigma;
    }

    /// <summary>sum_i cost[i, sigma(i)].</summary>
    public static double Total(double[,] cost, IReadOnlyList<int> sigma)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(sigma);
        double s = 0;
        for (int i = 0; i < sigma.Count; i++) s += cost[i, sigma[i]];
        return s;
    }
}
