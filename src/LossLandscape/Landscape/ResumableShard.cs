using System.Diagnostics;
using LossLandscape.IO;

namespace LossLandscape.Landscape;

/// <summary>
/// Computes one shard of a plane scan, a line scan, a barrier matrix or a trace or density estimate into a shard file so that a killed, re-queued or re-run task loses at most a few
/// seconds of work: completed points go to a partial file (<see cref="PartialPath"/>) as the scan proceeds, each
/// write atomic (<see cref="AtomicFile"/>); a later run of the same shard with the same inputs (same fingerprint)
/// reads them back and computes only the missing points; the complete shard file is written atomically at the end and
/// the partial file removed. A complete shard file with the same inputs is left as it is.
/// </summary>
/// <remarks>
/// The values are exact under resumption: each grid point is computed from the plane's origin directly
/// (<see cref="LandscapeProbe.ScanShard(PlaneBasis, GridSpec, ShardSpec)"/>), and JSON numbers round-trip bit for bit,
/// so a resumed shard file equals the file of an uninterrupted run byte for byte. Partial or complete files from other
/// inputs (another fingerprint, grid or split) are never mixed in: they are computed again and replaced.
/// </remarks>
public static class ResumableShard
{
    /// <summary>The partial file next to the shard file <paramref name="path"/>: <c>PATH.partial</c>.</summary>
    public static string PartialPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path + ".partial";
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of <paramref name="grid"/> on <paramref name="plane"/> into
    /// <paramref name="path"/>, resuming from the partial file of an interrupted run.
    /// </summary>
    /// <param name="probe">The probe (model, data, options).</param>
    /// <param name="plane">The plane.</param>
    /// <param name="grid">The whole grid.</param>
    /// <param name="shard">The shard to compute.</param>
    /// <param name="path">The shard file.</param>
    /// <param name="saveInterval">
    /// Least time between two writes of the partial file (default 1 s; <see cref="TimeSpan.Zero"/> writes after every
    /// point). Points of real models take longer than this, so each is saved as soon as it is done.
    /// </param>
    /// <exception cref="LossLandscapeException">The shard file's folder cannot be written.</exception>
    public static ShardRun<GridShard> Run(LandscapeProbe probe, PlaneBasis plane, GridSpec grid, ShardSpec shard, string path, TimeSpan? saveInterval = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(plane);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(shard);
        int expected = shard.PointsOf(grid.Count).Count;
        string fingerprint = probe.Fingerprint(plane, grid);
        return RunCore(path, saveInterval, LandscapeFiles.ReadShard,
            s => s.Format == GridShard.FormatVersion && s.Fingerprint == fingerprint && s.Grid == grid && s.Shard == shard,
            s => s.Points.Count, expected,
            (before, save) => probe.ScanShard(plane, grid, shard, before?.Points, save));
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the line scan from <paramref name="a"/> to <paramref name="b"/> at
    /// <paramref name="alphas"/> into <paramref name="path"/> (<see cref="LineShards.Scan"/>), resuming from the
    /// partial file of an interrupted run, like <see cref="Run"/>.
    /// </summary>
    /// <exception cref="LossLandscapeException">The shard file's folder cannot be written, or the inputs are not valid.</exception>
    public static ShardRun<LineShard> RunLine(LandscapeProbe probe, ModelPoint a, ModelPoint b, IReadOnlyList<double> alphas, bool normPreserving,
        ShardSpec shard, string path, TimeSpan? saveInterval = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(shard);
        int expected = shard.PointsOf(alphas.Count).Count;
        string fingerprint = LineShards.Fingerprint(probe, a, b, alphas, normPreserving);
        return RunCore(path, saveInterval, LandscapeFiles.ReadLineShard,
            s => s.Format == LineShard.FormatVersion && s.Fingerprint == fingerprint && s.Shard == shard && s.Alphas.SequenceEqual(alphas),
            s => s.Points.Count, expected,
            (before, save) => LineShards.Scan(probe, a, b, alphas, normPreserving, shard, before?.Points, save));
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the points of a barrier matrix (<see cref="BarrierShards.Compute"/>) into
    /// <paramref name="path"/>, resuming from the partial file of an interrupted run, like <see cref="Run"/>.
    /// </summary>
    /// <exception cref="LossLandscapeException">The shard file's folder cannot be written, or the inputs are not valid.</exception>
    public static ShardRun<BarrierShard> RunBarriers(LandscapeProbe probe, IReadOnlyList<ModelPoint> models, IReadOnlyList<string> labels, IReadOnlyList<double> alphas,
        ShardSpec shard, string path, TimeSpan? saveInterval = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(shard);
        BarrierShards.CheckAlphas(alphas);
        int expected = shard.PointsOf(BarrierMatrix.PairsOf(models.Count).Count * alphas.Count).Count;
        string fingerprint = BarrierShards.Fingerprint(probe, models, alphas);
        return RunCore(path, saveInterval, BarrierShards.Read,
            s => s.Format == BarrierShard.FormatVersion && s.Fingerprint == fingerprint && s.Shard == shard && s.Alphas.SequenceEqual(alphas) && s.Checkpoints.SequenceEqual(labels),
            s => s.Points.Count, expected,
            (before, save) => BarrierShards.Compute(probe, models, labels, alphas, shard, before?.Points, save));
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the probes of a Hutchinson trace estimate (<see cref="Spectra.TraceShards.Compute"/>)
    /// into <paramref name="path"/>, resuming from the partial file of an interrupted run (probes already written are not
    /// computed again), like <see cref="Run"/>.
    /// </summary>
    /// <exception cref="LossLandscapeException">The shard file's folder cannot be written, or the inputs are not valid.</exception>
    public static ShardRun<Spectra.TraceShard> RunTrace(Curvature.CurvatureOperator op, Spectra.HutchinsonOptions options, ShardSpec shard, string path,
        TimeSpan? saveInterval = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shard);
        int expected = shard.PointsOf(options.Probes).Count;
        string fingerprint = Spectra.TraceShards.Fingerprint(op, options);
        return RunCore(path, saveInterval, Spectra.TraceShards.Read,
            s => s.Format == Spectra.TraceShard.FormatVersion && s.Fingerprint == fingerprint && s.Shard == shard,
            s => s.Points.Count, expected,
            (before, save) => Spectra.TraceShards.Compute(op, options, shard, before?.Points, save, progress, cancellationToken));
    }

    /// <summary>
    /// Computes shard <paramref name="shard"/> of the probes of a stochastic Lanczos quadrature density
    /// (<see cref="Spectra.DensityShards.Compute"/>) into <paramref name="path"/>, resuming from the partial file of an
    /// interrupted run (probes already written are not computed again), like <see cref="Run"/>.
    /// </summary>
    /// <exception cref="LossLandscapeException">The shard file's folder cannot be written, or the inputs are not valid.</exception>
    public static ShardRun<Spectra.DensityShard> RunDensity(Curvature.CurvatureOperator op, Spectra.SpectralDensityOptions options, ShardSpec shard, string path,
        TimeSpan? saveInterval = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shard);
        int expected = shard.PointsOf(options.Probes).Count;
        string fingerprint = Spectra.DensityShards.Fingerprint(op, options);
        return RunCore(path, saveInterval, Spectra.DensityShards.Read,
            s => s.Format == Spectra.DensityShard.FormatVersion && s.Fingerprint == fingerprint && s.Shard == shard,
            s => s.Points.Count, expected,
            (before, save) => Spectra.DensityShards.Compute(op, options, shard, before?.Points, save, progress, cancellationToken));
    }

    private static ShardRun<T> RunCore<T>(string path, TimeSpan? saveInterval, Func<string, T> read, Func<T, bool> matches, Func<T, int> count, int expected,
        Func<T?, Action<T>, T> compute) where T : class
    {
        ArgumentNullException.ThrowIfNull(path);
        var interval = saveInterval ?? TimeSpan.FromSeconds(1);
        if (interval < TimeSpan.Zero) throw new LossLandscapeException($"Save interval {interval} is negative.");
        AtomicFile.CheckWritable(path);
        var partial = PartialPath(path);

        var complete = TryRead(path, read);
        if (complete is not null && matches(complete) && count(complete) == expected)
        {
            DeleteQuietly(partial);
            return new ShardRun<T>(complete, ShardRunState.AlreadyComplete, expected, 0);
        }

        var before = TryRead(partial, read);
        if (before is not null && !matches(before)) before = null;
        int reused = before is null ? 0 : count(before);
        var clock = Stopwatch.StartNew();
        int computed = 0;
        var result = compute(before, sofar =>
        {
            computed++;
            if (clock.Elapsed < interval) return;
            ResultFiles.WriteJson(partial, sofar);
            clock.Restart();
        });
        ResultFiles.WriteJson(path, result);
        DeleteQuietly(partial);
        return new ShardRun<T>(result, reused > 0 ? ShardRunState.Resumed : ShardRunState.Computed, reused, computed);
    }

    /// <summary>Reads a shard or partial file, or null when it is missing or not a readable shard (a file of another kind is replaced, never merged).</summary>
    private static T? TryRead<T>(string path, Func<string, T> read) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return read(path);
        }
        catch (LossLandscapeException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
