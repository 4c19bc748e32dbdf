namespace LossLandscape.Landscape;

/// <summary>The line scan between two models of a barrier matrix and its barriers.</summary>
/// <param name="A">Index of the first model (a = 0).</param>
/// <param name="B">Index of the second model (a = 1), above <paramref name="A"/>.</param>
/// <param name="From">The first model's label (its checkpoint).</param>
/// <param name="To">The second model's label.</param>
/// <param name="Points">The line scan, in the order of the coefficients.</param>
/// <param name="Train">Barriers on the training data.</param>
/// <param name="Test">Barriers on the test data, or null without it.</param>
public sealed record BarrierPair(int A, int B, string From, string To, IReadOnlyList<LinePoint> Points, BarrierValues Train, BarrierValues? Test);
