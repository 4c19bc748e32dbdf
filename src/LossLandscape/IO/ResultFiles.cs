using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LossLandscape.IO;

/// <summary>
/// The one writer of result files, JSON and CSV, for the library, the command line and the samples: the same field
/// naming, number format and atomic write everywhere.
/// </summary>
/// <remarks>
/// JSON: camelCase names, indented, enums as camelCase strings, null fields written, NaN and Inf as the strings
/// <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>, no escaping of '+' and other harmless characters. CSV: a header row,
/// then one row per record; numbers in the invariant culture with the round-trip format (<c>R</c>), missing values as
/// empty cells, text quoted when it holds a comma or a quote. Every file is written atomically
/// (<see cref="AtomicFile"/>).
/// </remarks>
public static class ResultFiles
{
    /// <summary>The serializer options of every JSON result file (also for reading them back).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary><paramref name="value"/> as JSON text (its runtime type decides the fields).</summary>
    public static string ToJson(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return JsonSerializer.Serialize(value, value.GetType(), Json);
    }

    /// <summary>Writes <paramref name="value"/> as JSON to <paramref name="path"/> atomically.</summary>
    public static void WriteJson(string path, object value) => AtomicFile.WriteAllText(path, ToJson(value) + "\n");

    /// <summary>Reads a JSON result file written by <see cref="WriteJson"/>.</summary>
    public static T? FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, Json);

    /// <summary>CSV text: <paramref name="header"/>, then one line per row (see the remarks for the cell format).</summary>
    public static string Csv(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder(string.Join(",", header.Select(Text))).Append('\n');
        foreach (var row in rows) sb.Append(string.Join(",", row.Select(Cell))).Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Csv"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteCsv(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows) =>
        AtomicFile.WriteAllText(path, Csv(header, rows));

    /// <summary>One CSV cell: numbers round-trip in the invariant culture, null empty, text quoted when needed.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable fm => fm.ToString(null, CultureInfo.InvariantCulture),
        _ => Text(value.ToString() ?? ""),
    };

    private static string Text(string s) => s.Contains(',') || s.Contains('"') || s.Contains('\n') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
