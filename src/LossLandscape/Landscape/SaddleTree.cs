namespace LossLandscape.Landscape;

/// <summary>
/// The minimum spanning tree of the saddle losses between N minima (Draxler et al. 2018, section 3): with S[i, j] the
/// highest loss on the best path found between minima i and j, the tree keeps the N - 1 edges of least total saddle
/// that connect all minima (Kruskal's algorithm). Because a path may go through other minima, the lowest saddle between
/// i and j is the largest edge on the tree's path between them (the minimax path of the graph), which can be below
/// S[i, j] itself.
/// </summary>
/// <param name="Saddles">S, symmetric; the diagonal holds each minimum's own loss.</param>
/// <param name="Edges">The tree's edges, in increasing saddle.</param>
public sealed record SaddleTree(double[,] Saddles, IReadOnlyList<SaddleEdge> Edges)
{
    /// <summary>The tree of the saddle matrix <paramref name="saddles"/> (square, symmetric, finite).</summary>
    /// <exception cref="LossLandscapeException">A matrix that is not square, symmetric and finite, or of fewer than one minimum.</exception>
    public static SaddleTree Build(double[,] saddles)
    {
        ArgumentNullException.ThrowIfNull(saddles);
        int n = saddles.GetLength(0);
        if (n < 1 || saddles.GetLength(1) != n)
            throw new LossLandscapeException($"The saddle matrix must be square with at least one minimum; got {saddles.GetLength(0)} x {saddles.GetLength(1)}.");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (!double.IsFinite(saddles[i, j])) throw new LossLandscapeException($"Saddle [{i}, {j}] is not a finite number.");
                if (saddles[i, j] != saddles[j, i]) throw new LossLandscapeException($"The saddle matrix must be symmetric; [{i}, {j}] = {saddles[i, j]} but [{j}, {i}] = {saddles[j, i]}.");
            }
        var candidates = new List<SaddleEdge>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) candidates.Add(new SaddleEdge(i, j, saddles[i, j]));
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int x)
        {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        var edges = new List<SaddleEdge>();
        foreach (var e in candidates.OrderBy(e => e.Saddle).ThenBy(e => e.A).ThenBy(e => e.B))
        {
            int ra = Find(e.A), rb = Find(e.B);
            if (ra == rb) continue;
            parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
            edges.Add(e);
        }
        return new SaddleTree((double[,])saddles.Clone(), edges);
    }

    /// <summary>The lowest saddle between minima <paramref name="i"/> and <paramref name="j"/>: the largest edge on the tree's path (the minimum's own loss for i = j).</summary>
    public double Saddle(int i, int j)
    {
        int n = Saddles.GetLength(0);
        if (i < 0 || i >= n || j < 0 || j >= n) throw new ArgumentOutOfRangeException(nameof(i), $"Minima are numbered 0..{n - 1}.");
        if (i == j) return Saddles[i, i];
        // Depth-first search from i over the tree, carrying the largest edge so far.
        var best = new double?[n];
        best[i] = double.NegativeInfinity;
        var stack = new Stack<int>();
        stack.Push(i);
        while (stack.Count > 0)
        {
            int u = stack.Pop();
            foreach (var e in Edges)
            {
                int v = e.A == u ? e.B : e.B == u ? e.A : -1;
                if (v < 0 || best[v] is not null) continue;
                best[v] = Math.Max(best[u]!.Value, e.Saddle);
                stack.Push(v);
            }
        }
        return best[j]!.Value;
    }
}
