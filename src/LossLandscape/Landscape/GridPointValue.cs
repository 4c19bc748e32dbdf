namespace LossLandscape.Landscape;

/// <summary>The values at one grid point.</summary>
/// <param name="Index">The point index k = j XCount + i.</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy (fraction).</param>
/// <param name="TestLoss">Mean test loss, or null.</param>
/// <param name="TestAccuracy">Test accuracy, or null.</param>
public sealed record GridPointValue(int Index, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);
