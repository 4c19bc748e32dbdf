
namespace LossLandscape.Training;

/// <summary>The outcome of <see cref="Trainer.Run"/>.</summary>
/// <param name="Reason">Why the run stopped.</param>
/// <param name="Steps">Updates done (for <see cref="StopReason.Diverged"/>: the step whose loss was not finite, not applied).</param>
/// <param name="TotalSteps">Updates planned.</param>
/// <param name="Message">A sentence saying what happened and, where relevant, what to do.</param>
/// <param name="History">The training history.</param>
/// <param name="LastCheckpoint">Folder of the last checkpoint written, or null.</param>
public sealed record TrainingResult(StopReason Reason, long Steps, long TotalSteps, string Message, IReadOnlyList<TrainingRecord> History, string? LastCheckpoint);
