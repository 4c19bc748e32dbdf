namespace LossLandscape.Landscape;

/// <summary>The barriers of one data set along a line between two models (<see cref="Barriers"/>), of the loss and of the error (1 - accuracy).</summary>
/// <param name="LossAboveHigherEnd">max loss - max(loss(A), loss(B)).</param>
/// <param name="LossAboveMeanOfEnds">max loss - (loss(A) + loss(B)) / 2.</param>
/// <param name="ErrorAboveHigherEnd">The same of the error.</param>
/// <param name="ErrorAboveMeanOfEnds">The same of the error.</param>
public sealed record BarrierValues(double LossAboveHigherEnd, double LossAboveMeanOfEnds, double ErrorAboveHigherEnd, double ErrorAboveMeanOfEnds)
{
    /// <summary>The barriers of the losses and errors along a path from A (first) to B (last).</summary>
    public static BarrierValues Of(IReadOnlyList<double> losses, IReadOnlyList<double> errors) =>
        new(Barriers.AboveHigherEnd(losses), Barriers.AboveMeanOfEnds(losses), Barriers.AboveHigherEnd(errors), Barriers.AboveMeanOfEnds(errors));
}
