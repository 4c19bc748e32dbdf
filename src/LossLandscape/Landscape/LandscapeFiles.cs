using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LossLandscape.IO;

namespace LossLandscape.Landscape;

/// <summary>
/// JSON and CSV files of landscape results, written atomically. JSON uses camelCase names, omits absent (null) test
/// values and writes non-finite numbers as <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.
/// </summary>
public static class LandscapeFiles
{
    /// <summary>The serializer options used for every landscape file.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Serializes <paramref name="value"/> (a result record) as JSON text.</summary>
    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);

    /// <summary>Writes <paramref name="value"/> as JSON to <paramref name="path"/> atomically.</summary>
    public static void WriteJson<T>(string path, T value) => AtomicFile.WriteAllText(path, ToJson(value) + "\n");

    /// <summary>Reads a shard file written by <see cref="WriteJson{T}"/>.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or is not a grid shard.</exception>
    public static GridShard ReadShard(string path)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            var s = JsonSerializer.Deserialize<GridShard>(File.ReadAllText(path), JsonOptions);
            if (s is null || s.Grid is null || s.Shard is null || s.Points is null || string.IsNullOrEmpty(s.Fingerprint))
                throw new LossLandscapeException($"'{path}' is not a grid shard file (written by LandscapeFiles from LandscapeProbe.ScanShard).");
            return s;
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a grid shard file ({ex.Message}).");
        }
    }

    /// <summary>Reads a line-scan shard file written by <see cref="WriteJson{T}"/>.</summary>
    /// <exception cref="LossLandscapeException">The file is missing or is not a line-scan shard.</exception>
    public static LineShard ReadLineShard(string path)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Shard file '{path}' does not exist.");
        try
        {
            var s = JsonSerializer.Deserialize<LineShard>(File.ReadAllText(path), JsonOptions);
            if (s is null || s.Alphas is null || s.Shard is null || s.Points is null || string.IsNullOrEmpty(s.Fingerprint))
                throw new LossLandscapeException($"'{path}' is not a line-scan shard file (written by LandscapeFiles from a sharded line scan).");
            return s;
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not a line-scan shard file ({ex.Message}).");
        }
    }

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
        var sb = new StringBuilder(test ? "alpha,loss,accuracy,testLoss,testAccuracy\n" : "alpha,loss,accuracy\n");
        foreach (var p in result.Points)
            sb.Append(Row(test ? new double?[] { p.Alpha, p.Loss, p.Accuracy, p.TestLoss, p.TestAccuracy } : new double?[] { p.Alpha, p.Loss, p.Accuracy }));
        return sb.ToString();
    }

    /// <summary>CSV of a plane scan in long form: <c>i,j,x,y,loss,accuracy[,testLoss,testAccuracy]</c>, one row per point.</summary>
    public static string PlaneCsv(PlaneScanResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        bool test = result.TestLosses is not null;
        var sb = new StringBuilder(test ? "i,j,x,y,loss,accuracy,testLoss,testAccuracy\n" : "i,j,x,y,loss,accuracy\n");
        for (int j = 0; j < result.Y.Length; j++)
            for (int i = 0; i < result.X.Length; i++)
            {
                sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(',').Append(j.ToString(CultureInfo.InvariantCulture)).Append(',');
                sb.Append(Row(test
                    ? new double?[] { result.X[i], result.Y[j], result.Losses[j][i], result.Accuracies[j][i], result.TestLosses![j][i], result.TestAccuracies![j][i] }
                    : new double?[] { result.X[i], result.Y[j], result.Losses[j][i], result.Accuracies[j][i] }));
            }
        return sb.ToString();
    }

    /// <summary>CSV of a path: <c>t,lineLoss,lineAccuracy,pathLoss,pathAccuracy</c>.</summary>
    public static string PathCsv(PathResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder("t,lineLoss,lineAccuracy,pathLoss,pathAccuracy\n");
        for (int k = 0; k < result.Path.Count; k++)
            sb.Append(Row(new double?[] { result.Path[k].T, result.Line[k].Loss, result.Line[k].Accuracy, result.Path[k].Loss, result.Path[k].Accuracy }));
        return sb.ToString();
    }

    /// <summary>CSV of a trajectory's checkpoints: <c>index,name,x,y</c>.</summary>
    public static string TrajectoryCsv(TrajectoryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder("index,name,x,y\n");
        foreach (var p in result.Points)
            sb.Append(p.Index.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Quote(p.Name)).Append(',')
              .Append(Row(new double?[] { p.X, p.Y }));
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="csv"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteCsv(string path, string csv) => AtomicFile.WriteAllText(path, csv);

    private static string Row(double?[] values) =>
        string.Join(",", values.Select(v => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "")) + "\n";

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
