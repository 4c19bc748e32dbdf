
namespace LossLandscape.Losses;

/// <summary>Mean loss and accuracy of a model on a data set.</summary>
/// <param name="Loss">(1/P) sum_i l(f(x_i), y_i).</param>
/// <param name="Accuracy">Fraction of correct predictions, in [0, 1].</param>
/// <param name="Count">P.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, long Count);
