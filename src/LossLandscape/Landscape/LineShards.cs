using System.Globalization;

namespace LossLandscape.Landscape;

/// <summary>Line scans between two models computed in shards (<see cref="LandscapeProbe.Interpolate"/>, one coefficient at a time).</summary>
public static class LineShards
{
    /// <summary>
    /// Computes shard <paramref name="shard"/> of the coefficients <paramref name="alphas"/> of the line from
    /// <paramref name="a"/> to <paramref name="b"/>, skipping the points in <paramref name="done"/> and calling
    /// <paramref name="pointDone"/> with the shard so far after each new point.
    /// </summary>
    /// <remarks>
    /// Each point is <see cref="LandscapeProbe.Interpolate"/> at its one coefficient, which computes it from the end
    /// points directly; so the values do not depend on the split, and merged shards equal one process's scan exactly.
    /// </remarks>
    /// <exception cref="LossLandscapeException">Invalid coefficients or shard, or a point of <paramref name="done"/> that does not belong here.</exception>
    public static LineShard Scan(LandscapeProbe probe, ModelPoint a, ModelPoint b, IReadOnlyList<double> alphas, bool normPreserving, ShardSpec shard,
        IReadOnlyCollection<LinePointValue>? done = null, Action<LineShard>? pointDone = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(shard);
        if (alphas.Count == 0) throw new LossLandscapeException("The line scan needs at least one coefficient a.");
        var indices = shard.PointsOf(alphas.Count);
        var mine = new HashSet<int>(indices);
        var known = new SortedDictionary<int, LinePointValue>();
        foreach (var p in done ?? Array.Empty<LinePointValue>())
        {
            if (!mine.Contains(p.Index) || p.Alpha != alphas[p.Index])
                throw new LossLandscapeException($"Point {p.Index} (a = {p.Alpha.ToString("R", CultureInfo.InvariantCulture)}) does not belong to shard {shard} of {alphas.Count} coefficients.");
            if (!known.TryAdd(p.Index, p)) throw new LossLandscapeException($"Point {p.Index} is given twice.");
        }
        string fingerprint = Fingerprint(probe, a, b, alphas, normPreserving);
        double normA = Parameters.ParameterSpace.Norm(a.Theta), normB = Parameters.ParameterSpace.Norm(b.Theta);
        LineShard Snapshot() => new(LineShard.FormatVersion, fingerprint, alphas.ToArray(), shard, normPreserving, probe.PolicyName, probe.Options.Loss.Name,
            probe.Test is not null, normA, normB, known.Values.ToArray());
        foreach (int index in indices)
        {
            if (known.ContainsKey(index)) continue;
            var p = probe.Interpolate(a, b, new[] { alphas[index] }, normPreserving).Points[0];
            known.Add(index, new LinePointValue(index, p.Alpha, p.Loss, p.Accuracy, p.TestLoss, p.TestAccuracy));
            pointDone?.Invoke(Snapshot());
        }
        return Snapshot();
    }

    /// <summary>
    /// A hex SHA-256 of everything a line point depends on: the coefficients, the variant, both end points (parameters
    /// and buffers, bit for bit), the data, the loss and the BatchNorm policy. Shards merge only when their fingerprints agree.
    /// </summary>
    public static string Fingerprint(LandscapeProbe probe, ModelPoint a, ModelPoint b, IReadOnlyList<double> alphas, bool normPreserving)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(alphas);
        using var h = new InputHash("llscape-line-v1");
        h.Text(string.Join(",", alphas.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        h.Text(normPreserving ? "norm-preserving" : "plain");
        h.Point(a);
        h.Point(b);
        h.Data(probe);
        return h.Finish();
    }
}
