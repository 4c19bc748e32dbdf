using System.Globalization;

namespace LossLandscape.Landscape;

/// <summary>
/// The barrier matrix of k models computed in shards: the points (pair, coefficient) of all k (k - 1) / 2 lines are split
/// round-robin (or in blocks); each point is <see cref="LandscapeProbe.Interpolate"/> at its one coefficient, computed from its
/// pair's end points directly, so merged shards equal one process's matrix exactly.
/// </summary>
public static class BarrierShards
{
    /// <summary>Checks that the coefficients run from 0 to 1, strictly increasing (the end points are the two models).</summary>
    /// <exception cref="LossLandscapeException">They do not.</exception>
    public static void CheckAlphas(IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        if (alphas.Count < 2 || alphas[0] != 0 || alphas[^1] != 1)
            throw new LossLandscapeException($"Barriers need coefficients from 0 to 1 (the two models are the ends), for example 0:1:21; got {string.Join(",", alphas.Take(5).Select(a => a.ToString("R", CultureInfo.InvariantCulture)))}{(alphas.Count > 5 ? ",..." : "")}.");
        for (int i = 1; i < alphas.Count; i++)
            if (!(alphas[i] > alphas[i - 1]))
                throw new LossLandscapeException("Barriers need strictly increasing coefficients from 0 to 1 (path order), for example 0:1:21.");
    }

    /// <summary>A hex SHA-256 of everything the points depend on: the coefficients, every model (parameters and buffers, bit for bit), the data, the loss and the BatchNorm policy.</summary>
    public static string Fingerprint(LandscapeProbe probe, IReadOnlyList<ModelPoint> models, IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(alphas);
        using var h = new InputHash("llscape-barriers-v1");
        h.Text(string.Join(",", alphas.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        foreach (var point in models) h.Point(point);
        h.Data(probe);
        return h.Finish();
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the points of every pair's line, skipping those in <paramref name="done"/> and
    /// calling <paramref name="pointDone"/> with the shard so far after each new point.
    /// </summary>
    /// <param name="probe">The probe (model, data, options).</param>
    /// <param name="models">The k models (at least 2).</param>
    /// <param name="labels">Their labels (their checkpoints), k of them.</param>
    /// <param name="alphas">The coefficients (<see cref="CheckAlphas"/>).</param>
    /// <param name="shard">The shard.</param>
    /// <param name="done">Points of an earlier run of this shard.</param>
    /// <param name="pointDone">Called after each new point.</param>
    /// <exception cref="LossLandscapeException">Fewer than 2 models, labels that do not match them, invalid coefficients or shard, a point of <paramref name="done"/> that does not belong here.</exception>
    public static BarrierShard Compute(LandscapeProbe probe, IReadOnlyList<ModelPoint> models, IReadOnlyList<string> labels, IReadOnlyList<double> alphas,
        ShardSpec shard, IReadOnlyCollection<LinePointValue>? done = null, Action<BarrierShard>? pointDone = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(shard);
        if (models.Count < 2) throw new LossLandscapeException($"A barrier matrix needs at least 2 models; got {models.Count}.");
        if (labels.Count != models.Count) throw new LossLandscapeException($"{labels.Count} labels for {models.Count} models.");
        CheckAlphas(alphas);
        var pairs = BarrierMatrix.PairsOf(models.Count);
        int m = alphas.Count;
        string fingerprint = Fingerprint(probe, models, alphas);
        BarrierShard Snapshot(IEnumerable<LinePointValue> points) => new(BarrierShard.FormatVersion, BarrierShard.Kind, fingerprint, labels.ToArray(), alphas.ToArray(),
            shard, probe.PolicyName, probe.Options.Loss.Name, probe.Test is not null, points.ToArray());
        foreach (var p in done ?? Array.Empty<LinePointValue>())
            if (p.Index >= 0 && p.Index < pairs.Count * m && p.Alpha != alphas[p.Index % m])
                throw new LossLandscapeException($"Point {p.Index} (a = {p.Alpha.ToString("R", CultureInfo.InvariantCulture)}) does not belong to these coefficients.");
        var known = ShardSet.Fill(shard, pairs.Count * m, done, p => p.Index, k =>
        {
            var (a, b) = pairs[k / m];
            var p = probe.Interpolate(models[a], models[b], new[] { alphas[k % m] }).Points[0];
            return new LinePointValue(k, p.Alpha, p.Loss, p.Accuracy, p.TestLoss, p.TestAccuracy);
        }, sofar => pointDone?.Invoke(Snapshot(sofar.Values)), "Point");
        return Snapshot(known.Values);
    }

    /// <summary>Merges shards into the matrix, exactly the matrix one process computes.</summary>
    /// <exception cref="LossLandscapeException">
    /// No shard; shards from other inputs (other models, coefficients, data, loss or BatchNorm policy), of another split,
    /// given twice, missing (named) or incomplete.
    /// </exception>
    public static BarrierMatrix Merge(IReadOnlyList<BarrierShard> shards)
    {
        var (ordered, points) = ShardSet.Merge(shards, "barrier matrix", s => s.Format, BarrierShard.FormatVersion, s => s.Total, s => s.Shard, s => s.Fingerprint,
            s => s.Points, p => p.Index, "the same checkpoints, coefficients, data, loss and BatchNorm policy");
        var first = ordered[0];
        CheckAlphas(first.Alphas);
        int m = first.Alphas.Length;
        var pairs = BarrierMatrix.PairsOf(first.Checkpoints.Length).Select((pair, q) =>
        {
            var line = points.Skip(q * m).Take(m).Select(v => new LinePoint(v.Alpha, v.Loss, v.Accuracy, v.TestLoss, v.TestAccuracy)).ToArray();
            var train = BarrierValues.Of(line.Select(p => p.Loss).ToArray(), line.Select(p => 1 - p.Accuracy).ToArray());
            var test = first.HasTest
                ? BarrierValues.Of(line.Select(p => p.TestLoss ?? double.NaN).ToArray(), line.Select(p => 1 - (p.TestAccuracy ?? double.NaN)).ToArray())
                : null;
            return new BarrierPair(pair.A, pair.B, first.Checkpoints[pair.A], first.Checkpoints[pair.B], line, train, test);
        }).ToArray();
        return new BarrierMatrix(first.Checkpoints, first.Alphas, first.BatchNorm, first.Loss, first.HasTest, pairs);
    }

    /// <summary>Reads a barrier shard file.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or not a barrier shard.</exception>
    public static BarrierShard Read(string path) =>
        ShardSet.Read<BarrierShard>(path, BarrierShard.Kind, s => s.ShardOf, s => s.Shard is not null && s.Points is not null && s.Checkpoints is not null
            && s.Alphas is not null && !string.IsNullOrEmpty(s.Fingerprint));
}
