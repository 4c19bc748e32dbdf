using System.Globalization;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>One point of a line-scan shard: the coefficient's index in the whole list, and its values.</summary>
/// <param name="Index">The index of the coefficient in <see cref="LineShard.Alphas"/>.</param>
/// <param name="Alpha">The coefficient a.</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy (fraction).</param>
/// <param name="TestLoss">Mean test loss, or null.</param>
/// <param name="TestAccuracy">Test accuracy, or null.</param>
public sealed record LinePointValue(int Index, double Alpha, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);

/// <summary>
/// One shard of a line scan between two models: every coefficient, which shard it is, a fingerprint of the inputs,
/// and the values of this shard's coefficients. Shards are merged by <see cref="LineMerge.Merge"/>.
/// </summary>
/// <param name="Format">The shard file format version.</param>
/// <param name="Fingerprint">SHA-256 of the inputs (<see cref="LineShards.Fingerprint"/>).</param>
/// <param name="Alphas">All coefficients of the scan.</param>
/// <param name="Shard">Which shard this is (over the coefficients' indices).</param>
/// <param name="NormPreserving">Whether the norm-preserving variant was used.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="HasTest">Whether test values were measured.</param>
/// <param name="NormA">|theta_A|.</param>
/// <param name="NormB">|theta_B|.</param>
/// <param name="Points">This shard's points, in index order.</param>
public sealed record LineShard(int Format, string Fingerprint, double[] Alphas, ShardSpec Shard, bool NormPreserving, string BatchNorm, string Loss,
    bool HasTest, double NormA, double NormB, IReadOnlyList<LinePointValue> Points)
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;
}

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
        foreach (var point in new[] { a, b })
        {
            h.Bytes(point.Theta);
            foreach (var (name, t) in (point.Buffers ?? new Dictionary<string, Tensor>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                h.Text(name);
                h.Bytes(t);
            }
        }
        h.Data(probe);
        return h.Finish();
    }
}

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
