
namespace LossLandscape.Landscape;

/// <summary>One point of a line-scan shard: the coefficient's index in the whole list, and its values.</summary>
/// <param name="Index">The index of the coefficient in <see cref="LineShard.Alphas"/>.</param>
/// <param name="Alpha">The coefficient a.</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy (fraction).</param>
/// <param name="TestLoss">Mean test loss, or null.</param>
/// <param name="TestAccuracy">Test accuracy, or null.</param>
public sealed record LinePointValue(int Index, double Alpha, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);
