
namespace LossLandscape.Landscape;

/// <summary>Loss and accuracy at one point, on the training data and (when given) the test data.</summary>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy as a fraction.</param>
/// <param name="TestLoss">Mean test loss, or null without test data.</param>
/// <param name="TestAccuracy">Test accuracy as a fraction, or null without test data.</param>
public sealed record PointMeasure(double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);
