using System.Text.Json;
using LossLandscape.IO;

namespace LossLandscape.Landscape;

/// <summary>
/// The landscape results' file layouts: the CSV columns of line, plane, path and trajectory results and the reading
/// of shard files. The JSON and CSV themselves come from the one result writer, <see cref="ResultFiles"/>.
/// </summary>
public static class LandscapeFiles
{
    /// <summary>Reads a shard file written by <see cref="ResultFiles.WriteJson"/>.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or is not a grid shard.</exception>
    public static GridShard ReadShard(string path)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            var s = JsonSerializer.Deserialize<GridShard>(File.ReadAllText(path), ResultFiles.Json);
            if (s is null || s.Grid is null || s.Shard is null || s.Points is null || string.IsNullOrEmpty(s.Fingerprint))
                throw new LossLandscapeException($"'{path}' is not a grid shard file (written by LandscapeFiles from LandscapeProbe.ScanShard).");
            return s;
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a grid shard file ({ex.Message}).");
        }
    }

    /// <summary>Reads a line-scan shard file written by <see cref="ResultFiles.WriteJson"/>.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or is not a line-scan shard.</exception>
    public static LineShard ReadLineShard(string path)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            var s = JsonSerializer.Deserialize<LineShard>(File.ReadAllText(path), ResultFiles.Json);
            if (s is null || s.Alphas is null || s.Shard is null || s.Points is null || string.IsNullOrEmpty(s.Fingerprint))
                throw new LossLandscapeException($"'{path}' is not a line-scan shard file (written by LandscapeFiles from a sharded line scan).");
            return s;
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a line-scan shard file ({ex.Message}).");
        }
    }

    /// <summary>What a shard file holds, by its <c>shardOf</c> field: <c>trace</c>, <c>density</c> or <c>barriers</c>; null for grid and line-scan shards (which have none).</summary>
    /// <exception cref="LossLandscapeException">The file is missing or not JSON.</exception>
    public static string? ShardOf(string path) => ShardSet.KindOf(path);

    /// <summary>Whether the shard file at <paramref name="path"/> holds a line scan (it has <c>alphas</c>) rather than a grid.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or is not JSON.</exception>
    public static bool IsLineShard(string path)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("alphas", out _);
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a shard file ({ex.Message}).");
        }
    }

    /// <summary>CSV of a line scan: <c>alpha,loss,accuracy[,testLoss,testAccuracy]</c>.</summary>
    public static string LineCsv(LineScanResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        bool test = result.Points.Any(p => p.TestLoss is not null);
        return ResultFiles.Csv(test ? new[] { "alpha", "loss", "accuracy", "testLoss", "testAccuracy" } : new[] { "alpha", "loss", "accuracy" },
            result.Points.Select(p => (IReadOnlyList<object?>)(test
                ? new object?[] { p.Alpha, p.Loss, p.Accuracy, p.TestLoss, p.TestAccuracy }
                : new object?[] { p.Alpha, p.Loss, p.Accuracy })));
    }

    /// <summary>CSV of a plane scan in long form: <c>i,j,x,y,loss,accuracy[,testLoss,testAccuracy]</c>, one row per point.</summary>
    public static string PlaneCsv(PlaneScanResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        bool test = result.TestLosses is not null;
        var header = test ? new[] { "i", "j", "x", "y", "loss", "accuracy", "testLoss", "testAccuracy" } : new[] { "i", "j", "x", "y", "loss", "accuracy" };
        var rows = from j in Enumerable.Range(0, result.Y.Length)
                   from i in Enumerable.Range(0, result.X.Length)
                   select (IReadOnlyList<object?>)(test
                       ? new object?[] { i, j, result.X[i], result.Y[j], result.Losses[j][i], result.Accuracies[j][i], result.TestLosses![j][i], result.TestAccuracies![j][i] }
                       : new object?[] { i, j, result.X[i], result.Y[j], result.Losses[j][i], result.Accuracies[j][i] });
        return ResultFiles.Csv(header, rows);
    }

    /// <summary>CSV of a path: <c>t,lineLoss,lineAccuracy,pathLoss,pathAccuracy</c>.</summary>
    public static string PathCsv(PathResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return ResultFiles.Csv(new[] { "t", "lineLoss", "lineAccuracy", "pathLoss", "pathAccuracy" },
            Enumerable.Range(0, result.Path.Count).Select(k => (IReadOnlyList<object?>)new object?[]
                { result.Path[k].T, result.Line[k].Loss, result.Line[k].Accuracy, result.Path[k].Loss, result.Path[k].Accuracy }));
    }

    /// <summary>CSV of a trajectory's checkpoints: <c>index,name,x,y</c>.</summary>
    public static string TrajectoryCsv(TrajectoryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return ResultFiles.Csv(new[] { "index", "name", "x", "y" },
            result.Points.Select(p => (IReadOnlyList<object?>)new object?[] { p.Index, p.Name, p.X, p.Y }));
    }

    /// <summary>Writes <paramref name="csv"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteCsv(string path, string csv) => AtomicFile.WriteAllText(path, csv);
}
