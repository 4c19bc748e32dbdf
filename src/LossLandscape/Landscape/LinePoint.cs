
namespace LossLandscape.Landscape;

/// <summary>One point of a line scan.</summary>
/// <param name="Alpha">The coefficient a.</param>
/// <param name="Loss">Mean training loss at theta(a).</param>
/// <param name="Accuracy">Training accuracy (fraction).</param>
/// <param name="TestLoss">Mean test loss, or null without test data.</param>
/// <param name="TestAccuracy">Test accuracy (fraction), or null without test data.</param>
public sealed record LinePoint(double Alpha, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);
