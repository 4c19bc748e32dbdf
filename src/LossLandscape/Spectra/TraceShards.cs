using System.Diagnostics;
using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Landscape;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// A Hutchinson trace estimate computed in shards: shard i of n computes the probes k = i, i + n, ... (each from its own
/// vector, <see cref="RandomVectors.ForProbe"/>); <see cref="Merge"/> puts them back in probe order, which gives exactly the
/// estimate one process computes (<see cref="Summarize"/> of the one-shard run).
/// </summary>
/// <remarks>
/// Hutch++ does not split this way: its residual probes are projected off a basis Q of A S, which needs the whole sketch
/// S first. Use Hutchinson (<see cref="Hutchinson"/>) for a split estimate.
/// </remarks>
public static class TraceShards
{
    /// <summary>A hex SHA-256 of everything the probes depend on: the operator (weights, buffers, data, loss, batch size, parameters, BatchNorm mode), the seed, the probe count and the confidence.</summary>
    public static string Fingerprint(CurvatureOperator op, HutchinsonOptions options)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        using var h = new InputHash("llscape-trace-v1");
        h.Text(string.Create(CultureInfo.InvariantCulture, $"hutchinson probes={options.Probes} seed={options.Seed} confidence={options.Confidence:R}"));
        h.Operator(op);
        return h.Finish();
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the probes, skipping those in <paramref name="done"/> and calling
    /// <paramref name="pointDone"/> with the shard so far after each new probe; the finished shard also holds the loss.
    /// </summary>
    /// <exception cref="LossLandscapeException">Invalid options or shard, or a probe of <paramref name="done"/> that does not belong here.</exception>
    public static TraceShard Compute(CurvatureOperator op, HutchinsonOptions options, ShardSpec shard, IReadOnlyCollection<TraceProbeValue>? done = null,
        Action<TraceShard>? pointDone = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shard);
        Hutchinson.Validate(options);
        var watch = Stopwatch.StartNew();
        string fingerprint = Fingerprint(op, options);
        var blocks = op.Space.Blocks;
        var segments = blocks.Select(b => (b.Offset, b.Count)).ToArray();
        string dtype = op.DType == ScalarType.Float64 ? "float64" : "float32";
        TraceShard Snapshot(IEnumerable<TraceProbeValue> points, double? loss) => new(TraceShard.FormatVersion, TraceShard.Kind, fingerprint, shard, options.Probes,
            options.Seed, options.Confidence, op.Name, op.Dimension, op.Examples, dtype, blocks.Select(b => b.Name).ToArray(), loss, watch.Elapsed.TotalSeconds, points.ToArray());
        int computed = 0;
        var known = ShardSet.Fill(shard, options.Probes, done, p => p.Index, k =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var v = Hutchinson.Sample(op, options.Seed, k, segments);
            progress?.Report(++computed);
            return v;
        }, sofar => pointDone?.Invoke(Snapshot(sofar.Values, null)), "Probe");
        return Snapshot(known.Values, op.EvaluateLoss());
    }

    /// <summary>
    /// Merges shards into the one-shard run (shard 0/1 with every probe in index order), exactly what one process computes;
    /// the loss is shard 0's, the seconds are summed.
    /// </summary>
    /// <exception cref="LossLandscapeException">
    /// No shard; shards from other inputs (another model, data, operator, seed or probe count), of another split, given twice,
    /// missing (named) or incomplete.
    /// </exception>
    public static TraceShard Merge(IReadOnlyList<TraceShard> shards)
    {
        var (ordered, points) = ShardSet.Merge(shards, "trace", s => s.Format, TraceShard.FormatVersion, s => s.Probes, s => s.Shard, s => s.Fingerprint, s => s.Points,
            p => p.Index, "the same model, weights, data, loss, operator, seed and probe count");
        return ordered[0] with { Shard = ShardSpec.Single, Seconds = ordered.Sum(s => s.Seconds), Points = points };
    }

    /// <summary>The estimate of a complete one-shard run (<see cref="Compute"/> with <see cref="ShardSpec.Single"/>, or <see cref="Merge"/>): the trace with its interval, and each parameter tensor's trace (the mean of its sums over the probes).</summary>
    /// <exception cref="LossLandscapeException">The run is not complete.</exception>
    public static (TraceResult Result, double[] BlockTraces) Summarize(TraceShard run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Shard.Count != 1 || run.Points.Count != run.Probes)
            throw new LossLandscapeException($"The trace run holds {run.Points.Count} of {run.Probes} probes (shard {run.Shard}): merge all shards first.");
        if (run.Points.Any(p => p.Blocks is null || p.Blocks.Length != run.BlockNames.Length))
            throw new LossLandscapeException($"A probe of the trace run holds another number of parameter sums than the {run.BlockNames.Length} parameter tensors: a shard file was altered.");
        var result = Hutchinson.Combine(run.Points.Select(p => p.Sample).ToArray(), run.Confidence, run.Parameters, run.Seconds);
        var blocks = new double[run.BlockNames.Length];
        for (int b = 0; b < blocks.Length; b++)
        {
            double sum = 0;
            foreach (var p in run.Points) sum += p.Blocks[b];
            blocks[b] = sum / run.Points.Count;
        }
        return (result, blocks);
    }

    /// <summary>Reads a trace shard file.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or not a trace shard.</exception>
    public static TraceShard Read(string path) =>
        ShardSet.Read<TraceShard>(path, TraceShard.Kind, s => s.ShardOf, s => s.Shard is not null && s.Points is not null && s.BlockNames is not null && !string.IsNullOrEmpty(s.Fingerprint));
}
