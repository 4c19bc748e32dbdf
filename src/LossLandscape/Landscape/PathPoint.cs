
namespace LossLandscape.Landscape;

/// <summary>One point along a path or the straight line.</summary>
/// <param name="T">Curve parameter in [0, 1] (normalized arc length for the string).</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy (fraction).</param>
/// <param name="TestLoss">Test loss, or null.</param>
/// <param name="TestAccuracy">Test accuracy, or null.</param>
public sealed record PathPoint(double T, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);
