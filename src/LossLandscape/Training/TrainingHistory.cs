using System.Text.Json;
using LossLandscape.IO;

namespace LossLandscape.Training;

/// <summary>Writes and reads training histories as CSV and JSON.</summary>
public static class TrainingHistory
{
    /// <summary>The CSV header.</summary>
    public const string CsvHeader = "step,epoch,learning_rate,batch_size,batch_loss,gradient_norm,train_loss,train_accuracy,test_loss,test_accuracy,seconds";

    /// <summary>The history as CSV text (invariant culture, round-trip number format, empty cells for missing values).</summary>
    public static string ToCsv(IEnumerable<TrainingRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return ResultFiles.Csv(CsvHeader.Split(','), records.Select(r => (IReadOnlyList<object?>)new object?[]
        {
            r.Step, r.Epoch, r.LearningRate, r.BatchSize, r.BatchLoss, r.GradientNorm, r.TrainLoss, r.TrainAccuracy, r.TestLoss, r.TestAccuracy, r.Seconds,
        }));
    }

    /// <summary>The history as indented JSON (NaN and Inf written as strings).</summary>
    public static string ToJson(IEnumerable<TrainingRecord> records) => JsonSerializer.Serialize(records.ToList(), ResultFiles.Json);

    /// <summary>Parses a history written by <see cref="ToJson"/>.</summary>
    /// <exception cref="LossLandscapeException">Not a valid history.</exception>
    public static IReadOnlyList<TrainingRecord> FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<List<TrainingRecord>>(json, ResultFiles.Json) ?? new List<TrainingRecord>();
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"The training history is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <c>history.csv</c> and <c>history.json</c> into <paramref name="directory"/>, atomically.</summary>
    public static void Write(string directory, IReadOnlyList<TrainingRecord> records)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, "history.csv"), ToCsv(records));
        AtomicFile.WriteAllText(Path.Combine(directory, "history.json"), ToJson(records) + "\n");
    }

}
