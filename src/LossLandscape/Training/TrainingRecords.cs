using System.Globalization;
using System.Text;
using System.Text.Json;
using LossLandscape.IO;

namespace LossLandscape.Training;

/// <summary>Why a run stopped.</summary>
public enum StopReason
{
    /// <summary>All updates were done.</summary>
    Completed,
    /// <summary>Cancellation was requested; a checkpoint was written at the step reached.</summary>
    Cancelled,
    /// <summary>The loss became NaN or Inf; no update was applied from it and no checkpoint was written after the last good one.</summary>
    Diverged,
}

/// <summary>One row of the training history, written every <see cref="TrainingOptions.EvalEvery"/> updates.</summary>
/// <param name="Step">Updates done so far.</param>
/// <param name="Epoch">Epochs done so far (fractional: epoch + used examples / P).</param>
/// <param name="LearningRate">The learning rate of the last update (of the next one at step 0).</param>
/// <param name="BatchSize">Batch size of the last update (null for full-batch and at step 0).</param>
/// <param name="BatchLoss">Mean loss of the last update's batch, at the weights before that update (null at step 0).</param>
/// <param name="GradientNorm">|g|_2 of the last update's mean-loss gradient, before noise and weight decay (null at step 0).</param>
/// <param name="TrainLoss">Mean loss on the training set or its evaluation subset (eval mode).</param>
/// <param name="TrainAccuracy">Accuracy there, in [0, 1].</param>
/// <param name="TestLoss">Mean loss on the test set or its subset, or null without a test set.</param>
/// <param name="TestAccuracy">Accuracy there, or null.</param>
/// <param name="Seconds">Wall-clock seconds of training so far (evaluation excluded).</param>
public sealed record TrainingRecord(
    long Step, double Epoch, double LearningRate, int? BatchSize, double? BatchLoss, double? GradientNorm,
    double? TrainLoss, double? TrainAccuracy, double? TestLoss, double? TestAccuracy, double Seconds);

/// <summary>Reported after every update.</summary>
/// <param name="Step">Updates done.</param>
/// <param name="TotalSteps">Updates planned.</param>
/// <param name="Epoch">Epochs done (fractional).</param>
/// <param name="LearningRate">Learning rate of the update just made.</param>
/// <param name="BatchLoss">Its batch loss.</param>
/// <param name="Evaluation">The history record written at this step, if any.</param>
public sealed record TrainingProgress(long Step, long TotalSteps, double Epoch, double LearningRate, double BatchLoss, TrainingRecord? Evaluation);

/// <summary>The outcome of <see cref="Trainer.Run"/>.</summary>
/// <param name="Reason">Why the run stopped.</param>
/// <param name="Steps">Updates done (for <see cref="StopReason.Diverged"/>: the step whose loss was not finite, not applied).</param>
/// <param name="TotalSteps">Updates planned.</param>
/// <param name="Message">A sentence saying what happened and, where relevant, what to do.</param>
/// <param name="History">The training history.</param>
/// <param name="LastCheckpoint">Folder of the last checkpoint written, or null.</param>
public sealed record TrainingResult(StopReason Reason, long Steps, long TotalSteps, string Message, IReadOnlyList<TrainingRecord> History, string? LastCheckpoint);

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
