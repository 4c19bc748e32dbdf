
namespace LossLandscape.Landscape;

/// <summary>Merges line-scan shards.</summary>
public static class LineMerge
{
    /// <summary>Merges shards into the whole line scan, exactly the scan one process computes.</summary>
    /// <exception cref="LossLandscapeException">
    /// No shard; shards disagree on the fingerprint, coefficients, shard count or layout; a shard appears twice; shards
    /// are missing (listed); a shard is incomplete.
    /// </exception>
    public static LineScanResult Merge(IReadOnlyList<LineShard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new LossLandscapeException("No shard to merge.");
        var first = shards[0];
        if (first.Format != LineShard.FormatVersion)
            throw new LossLandscapeException($"Line shard format {first.Format} is not supported (expected {LineShard.FormatVersion}).");
        int n = first.Shard.Count;
        var seen = new Dictionary<int, LineShard>();
        foreach (var s in shards)
        {
            if (s.Fingerprint != first.Fingerprint || !s.Alphas.SequenceEqual(first.Alphas))
                throw new LossLandscapeException($"Shard {s.Shard} was computed from different inputs than shard {first.Shard} (fingerprints {s.Fingerprint[..12]}… and {first.Fingerprint[..12]}…): same end points, coefficients, data, loss and BatchNorm policy are needed.");
            if (s.Shard.Count != n || s.Shard.Layout != first.Shard.Layout)
                throw new LossLandscapeException($"Shard {s.Shard} ({s.Shard.Layout}) belongs to a split into {s.Shard.Count}, shard {first.Shard} ({first.Shard.Layout}) to a split into {n}.");
            if (!seen.TryAdd(s.Shard.Index, s)) throw new LossLandscapeException($"Shard {s.Shard} is given twice.");
        }
        var missing = Enumerable.Range(0, n).Where(i => !seen.ContainsKey(i)).ToArray();
        if (missing.Length > 0)
            throw new LossLandscapeException($"Shards missing: {string.Join(", ", missing.Select(i => $"{i}/{n}"))} (have {seen.Count} of {n}); compute those shards and merge again.");
        var values = new LinePointValue?[first.Alphas.Length];
        foreach (var s in shards)
        {
            var expected = s.Shard.PointsOf(values.Length);
            if (expected.Count != s.Points.Count)
                throw new LossLandscapeException($"Shard {s.Shard} holds {s.Points.Count} points, its share of the scan is {expected.Count}: the shard file is incomplete.");
            foreach (var p in s.Points)
            {
                if (p.Index < 0 || p.Index >= values.Length || values[p.Index] is not null)
                    throw new LossLandscapeException($"Shard {s.Shard} holds point {p.Index}, outside the scan or already given.");
                values[p.Index] = p;
            }
        }
        var points = values.Select(v => new LinePoint(v!.Alpha, v.Loss, v.Accuracy, v.TestLoss, v.TestAccuracy)).ToArray();
        return new LineScanResult("between", first.NormPreserving, first.BatchNorm, first.Loss, first.NormA, first.NormB, points);
    }
}
