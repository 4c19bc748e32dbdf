
namespace LossLandscape.Training;

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
