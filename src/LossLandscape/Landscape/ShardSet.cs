namespace LossLandscape.Landscape;

/// <summary>
/// The checks every merge of shards makes before it combines values: the shards come from the same inputs (the same
/// fingerprint), belong to one split (count and layout), none is given twice and none is missing (named), and each holds
/// all the points of its share.
/// </summary>
internal static class ShardSet
{
    /// <summary>
    /// Checks <paramref name="shards"/> and returns them in index order with all their points in index order, which must
    /// be the points 0 .. N-1 of the whole split, each once.
    /// </summary>
    /// <param name="shards">The shards.</param>
    /// <param name="kind">What was split, for messages (for example "trace").</param>
    /// <param name="format">A shard's format version.</param>
    /// <param name="expectedFormat">The version this library writes.</param>
    /// <param name="total">The number of points of the whole split (for the shards' shares), from the first shard.</param>
    /// <param name="spec">A shard's <see cref="ShardSpec"/>.</param>
    /// <param name="fingerprint">A shard's fingerprint.</param>
    /// <param name="points">A shard's points.</param>
    /// <param name="index">A point's index in the whole split.</param>
    /// <param name="inputs">What must agree, for the message when fingerprints differ (for example "the same model, data and seed").</param>
    /// <exception cref="LossLandscapeException">The shards do not belong together, one is given twice, some are missing or one is incomplete.</exception>
    public static (IReadOnlyList<T> Shards, TPoint[] Points) Merge<T, TPoint>(IReadOnlyList<T> shards, string kind, Func<T, int> format, int expectedFormat,
        Func<T, int> total, Func<T, ShardSpec> spec, Func<T, string> fingerprint, Func<T, IReadOnlyList<TPoint>> points, Func<TPoint, int> index, string inputs)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new LossLandscapeException("No shard to merge.");
        foreach (var s in shards)
            if (format(s) != expectedFormat)
                throw new LossLandscapeException($"The {kind} shard format {format(s)} is not supported (expected {expectedFormat}).");
        var first = shards[0];
        var firstSpec = spec(first);
        int n = firstSpec.Count;
        var seen = new SortedDictionary<int, T>();
        foreach (var s in shards)
        {
            var ss = spec(s);
            if (fingerprint(s) != fingerprint(first))
                throw new LossLandscapeException($"Shard {ss} was computed from different inputs than shard {firstSpec} (fingerprints {Short(fingerprint(s))} and {Short(fingerprint(first))}): {inputs} are needed.");
            if (ss.Count != n || ss.Layout != firstSpec.Layout)
                throw new LossLandscapeException($"Shard {ss} ({ss.Layout}) belongs to a split into {ss.Count}, shard {firstSpec} ({firstSpec.Layout}) to a split into {n}.");
            ss.Validate();
            if (!seen.TryAdd(ss.Index, s)) throw new LossLandscapeException($"Shard {ss} is given twice.");
        }
        var missing = Enumerable.Range(0, n).Where(i => !seen.ContainsKey(i)).ToArray();
        if (missing.Length > 0)
            throw new LossLandscapeException($"Shards missing: {string.Join(", ", missing.Select(i => $"{i}/{n}"))} (have {seen.Count} of {n}); compute those shards and merge again.");
        int all = total(first);
        foreach (var s in seen.Values)
        {
            int expected = spec(s).PointsOf(all).Count;
            if (points(s).Count != expected)
                throw new LossLandscapeException($"Shard {spec(s)} holds {points(s).Count} of the {expected} points of its share: the shard file is incomplete; run that shard again.");
        }
        var merged = seen.Values.SelectMany(points).OrderBy(index).ToArray();
        if (!merged.Select(index).SequenceEqual(Enumerable.Range(0, all)))
            throw new LossLandscapeException($"The shards' points are not the points 0 .. {all - 1} of the {kind}, each once: a shard file was altered.");
        return (seen.Values.ToArray(), merged);
    }

    /// <summary>
    /// The values of one shard's points by index, checking each belongs to the shard and appears once, and skipping the
    /// ones already in <paramref name="done"/>; then <paramref name="compute"/> for the rest, in index order, with
    /// <paramref name="pointDone"/> after each.
    /// </summary>
    public static SortedDictionary<int, TPoint> Fill<TPoint>(ShardSpec shard, int total, IEnumerable<TPoint>? done, Func<TPoint, int> index,
        Func<int, TPoint> compute, Action<SortedDictionary<int, TPoint>>? pointDone, string kind)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var indices = shard.PointsOf(total);
        var mine = new HashSet<int>(indices);
        var known = new SortedDictionary<int, TPoint>();
        foreach (var p in done ?? Array.Empty<TPoint>())
        {
            int k = index(p);
            if (!mine.Contains(k)) throw new LossLandscapeException($"{kind} {k} does not belong to shard {shard} of {total}.");
            if (!known.TryAdd(k, p)) throw new LossLandscapeException($"{kind} {k} is given twice.");
        }
        foreach (int k in indices)
        {
            if (known.ContainsKey(k)) continue;
            known.Add(k, compute(k));
            pointDone?.Invoke(known);
        }
        return known;
    }

    /// <summary>Reads a shard file of kind <paramref name="shardOf"/> (its <c>shardOf</c> field), checking <paramref name="complete"/> (fields present).</summary>
    /// <exception cref="LossLandscapeException">The file is missing or is not such a shard file.</exception>
    public static T Read<T>(string path, string shardOf, Func<T, string?> kindOf, Func<T, bool> complete) where T : class
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            var s = System.Text.Json.JsonSerializer.Deserialize<T>(File.ReadAllText(path), IO.ResultFiles.Json);
            if (s is null || kindOf(s) != shardOf || !complete(s))
                throw new LossLandscapeException($"'{path}' is not a {shardOf} shard file (written by llscape {shardOf} --shard i/n).");
            return s;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a {shardOf} shard file ({ex.Message}).");
        }
    }

    /// <summary>The <c>shardOf</c> field of a JSON file (trace, density, barriers), or null when it has none.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or not JSON.</exception>
    public static string? KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("shardOf", out var k)
                && k.ValueKind == System.Text.Json.JsonValueKind.String ? k.GetString() : null;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a shard file ({ex.Message}).");
        }
    }

    private static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] + "…" : fingerprint;
}
