namespace LossLandscape.Landscape;

/// <summary>Merges grid shards.</summary>
public static class GridMerge
{
    /// <summary>
    /// Merges shards into the full grid. The result is exactly the grid one process computes, because each point's
    /// value is computed independently from the plane's origin.
    /// </summary>
    /// <exception cref="LossLandscapeException">
    /// No shard; shards disagree on the fingerprint, grid, shard count, layout, policy or loss; a shard appears twice;
    /// shards are missing (listed by index); a point is missing or doubled.
    /// </exception>
    public static PlaneScanResult Merge(IReadOnlyList<GridShard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new LossLandscapeException("No shard to merge.");
        var first = shards[0];
        if (first.Format != GridShard.FormatVersion)
            throw new LossLandscapeException($"Shard format {first.Format} is not supported (expected {GridShard.FormatVersion}).");
        int n = first.Shard.Count;
        var seen = new Dictionary<int, GridShard>();
        foreach (var s in shards)
        {
            if (s.Format != first.Format) throw new LossLandscapeException($"Shard {s.Shard} has format {s.Format}, shard {first.Shard} has {first.Format}.");
            if (s.Fingerprint != first.Fingerprint)
                throw new LossLandscapeException($"Shard {s.Shard} was computed from different inputs than shard {first.Shard} (fingerprints {s.Fingerprint[..12]}… and {first.Fingerprint[..12]}…): same model, directions, grid, data, loss and BatchNorm policy are needed.");
            if (s.Grid != first.Grid) throw new LossLandscapeException($"Shard {s.Shard} has grid {s.Grid}, shard {first.Shard} has {first.Grid}.");
            if (s.Shard.Count != n || s.Shard.Layout != first.Shard.Layout)
                throw new LossLandscapeException($"Shard {s.Shard} ({s.Shard.Layout}) belongs to a split into {s.Shard.Count}, shard {first.Shard} ({first.Shard.Layout}) to a split into {n}.");
            if (s.BatchNorm != first.BatchNorm || s.Loss != first.Loss || s.HasTest != first.HasTest || s.Kind != first.Kind)
                throw new LossLandscapeException($"Shard {s.Shard} differs from shard {first.Shard} in plane kind, loss, BatchNorm policy or test data.");
            if (!seen.TryAdd(s.Shard.Index, s)) throw new LossLandscapeException($"Shard {s.Shard} is given twice.");
        }
        var missing = Enumerable.Range(0, n).Where(i => !seen.ContainsKey(i)).ToArray();
        if (missing.Length > 0)
            throw new LossLandscapeException($"Shards missing: {string.Join(", ", missing.Select(i => $"{i}/{n}"))} (have {seen.Count} of {n}); compute those shards and merge again.");

        var grid = first.Grid;
        int total = grid.Count;
        var values = new GridPointValue?[total];
        foreach (var s in shards)
        {
            var expected = s.Shard.PointsOf(total);
            if (expected.Count != s.Points.Count)
                throw new LossLandscapeException($"Shard {s.Shard} holds {s.Points.Count} points, its share of the grid is {expected.Count}: the shard file is incomplete.");
            foreach (var p in s.Points)
            {
                if (p.Index < 0 || p.Index >= total) throw new LossLandscapeException($"Shard {s.Shard} holds point {p.Index}, outside the grid of {total} points.");
                if (values[p.Index] is not null) throw new LossLandscapeException($"Point {p.Index} appears twice (in shard {s.Shard}).");
                values[p.Index] = p;
            }
        }
        var holes = Enumerable.Range(0, total).Where(k => values[k] is null).Take(10).ToArray();
        if (holes.Length > 0) throw new LossLandscapeException($"Grid points missing after the merge: {string.Join(", ", holes)}.");

        double[][] Table(Func<GridPointValue, double> f)
        {
            var t = new double[grid.YCount][];
            for (int j = 0; j < grid.YCount; j++)
            {
                t[j] = new double[grid.XCount];
                for (int i = 0; i < grid.XCount; i++) t[j][i] = f(values[j * grid.XCount + i]!);
            }
            return t;
        }
        return new PlaneScanResult(first.Kind, first.BatchNorm, first.Loss, first.Fingerprint, grid, grid.Xs, grid.Ys,
            Table(v => v.Loss), Table(v => v.Accuracy),
            first.HasTest ? Table(v => v.TestLoss ?? double.NaN) : null,
            first.HasTest ? Table(v => v.TestAccuracy ?? double.NaN) : null,
            first.Anchors);
    }
}
