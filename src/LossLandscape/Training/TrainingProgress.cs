
namespace LossLandscape.Training;

/// <summary>Reported after every update.</summary>
/// <param name="Step">Updates done.</param>
/// <param name="TotalSteps">Updates planned.</param>
/// <param name="Epoch">Epochs done (fractional).</param>
/// <param name="LearningRate">Learning rate of the update just made.</param>
/// <param name="BatchLoss">Its batch loss.</param>
/// <param name="Evaluation">The history record written at this step, if any.</param>
public sealed record TrainingProgress(long Step, long TotalSteps, double Epoch, double LearningRate, double BatchLoss, TrainingRecord? Evaluation);
