using System.Diagnostics;
using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Landscape;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// A stochastic Lanczos quadrature density computed in shards: shard i of n runs the probes k = i, i + n, ... (each from its
/// own start vector, <see cref="SpectralDensity.Probe"/>); <see cref="Merge"/> puts the quadrature rules back in probe order,
/// and <see cref="Summarize"/> smooths them exactly as <see cref="SpectralDensity.Estimate"/> does in one process.
/// </summary>
public static class DensityShards
{
    /// <summary>A hex SHA-256 of everything the density depends on: the operator (weights, buffers, data, loss, batch size, parameters, BatchNorm mode) and every option but the checkpoint.</summary>
    public static string Fingerprint(CurvatureOperator op, SpectralDensityOptions options)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        using var h = new InputHash("llscape-density-v1");
        h.Text(string.Create(CultureInfo.InvariantCulture,
            $"slq probes={options.Probes} steps={options.Steps} seed={options.Seed} sigma={options.Sigma?.ToString("R", CultureInfo.InvariantCulture) ?? "auto"} grid={options.GridPoints} confidence={options.Confidence:R} reorth={options.Reorthogonalization}"));
        h.Operator(op);
        return h.Finish();
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the probes, skipping those in <paramref name="done"/> and calling
    /// <paramref name="pointDone"/> with the shard so far after each new probe; the finished shard also holds the loss.
    /// </summary>
    /// <exception cref="LossLandscapeException">Invalid options or shard, a checkpoint folder (shards resume per probe from their partial file), or a probe of <paramref name="done"/> that does not belong here.</exception>
    public static DensityShard Compute(CurvatureOperator op, SpectralDensityOptions options, ShardSpec shard, IReadOnlyCollection<DensityProbeValue>? done = null,
        Action<DensityShard>? pointDone = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shard);
        if (options.Checkpoint is not null)
            throw new LossLandscapeException("A density shard resumes from its partial file, probe by probe; leave the checkpoint folder out.");
        var watch = Stopwatch.StartNew();
        string fingerprint = Fingerprint(op, options);
        string dtype = op.DType == ScalarType.Float64 ? "float64" : "float32";
        DensityShard Snapshot(IEnumerable<DensityProbeValue> points, double? loss) => new(DensityShard.FormatVersion, DensityShard.Kind, fingerprint, shard,
            options.Probes, options.Steps, options.Seed, options.Sigma, options.GridPoints, options.Confidence, options.Reorthogonalization, op.Name,
            op.Dimension, op.Examples, dtype, loss, watch.Elapsed.TotalSeconds, points.ToArray());
        int computed = 0;
        var known = ShardSet.Fill(shard, options.Probes, done, p => p.Index, k =>
        {
            var v = SpectralDensity.Probe(op, options, k, cancellationToken);
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
    /// No shard; shards from other inputs (another model, data, operator, seed, probe or step count, grid), of another split,
    /// given twice, missing (named) or incomplete.
    /// </exception>
    public static DensityShard Merge(IReadOnlyList<DensityShard> shards)
    {
        var (ordered, points) = ShardSet.Merge(shards, "density", s => s.Format, DensityShard.FormatVersion, s => s.Probes, s => s.Shard, s => s.Fingerprint, s => s.Points,
            p => p.Index, "the same model, weights, data, loss, operator, seed, probes, steps, sigma and grid");
        return ordered[0] with { Shard = ShardSpec.Single, Seconds = ordered.Sum(s => s.Seconds), Points = points };
    }

    /// <summary>The density of a complete one-shard run (<see cref="Compute"/> with <see cref="ShardSpec.Single"/>, or <see cref="Merge"/>).</summary>
    /// <exception cref="LossLandscapeException">The run is not complete.</exception>
    public static SpectralDensityResult Summarize(DensityShard run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Shard.Count != 1 || run.Points.Count != run.Probes)
            throw new LossLandscapeException($"The density run holds {run.Points.Count} of {run.Probes} probes (shard {run.Shard}): merge all shards first.");
        if (run.Points.Any(p => p.Nodes is null || p.Weights is null || p.Nodes.Length == 0 || p.Nodes.Length != p.Weights.Length))
            throw new LossLandscapeException("A probe of the density run has no nodes or a weight count unlike its node count: a shard file was altered.");
        return SpectralDensity.FromRules(run.Points.Select(p => new QuadratureRule(p.Nodes, p.Weights)).ToArray(), run.Options(), run.Parameters,
            run.Points.Sum(p => p.Applications), run.Seconds);
    }

    /// <summary>Reads a density shard file.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or not a density shard.</exception>
    public static DensityShard Read(string path) =>
        ShardSet.Read<DensityShard>(path, DensityShard.Kind, s => s.ShardOf, s => s.Shard is not null && s.Points is not null && !string.IsNullOrEmpty(s.Fingerprint));
}
