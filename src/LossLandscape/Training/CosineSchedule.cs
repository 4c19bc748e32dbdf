
namespace LossLandscape.Training;

/// <summary>Cosine decay from 1 to <see cref="Minimum"/> over the run.</summary>
/// <remarks>Factor(t, T) = MIN + (1 - MIN) (1 + cos(pi t / T)) / 2.</remarks>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public CosineSchedule(double minimum = 0) => Minimum = minimum;

    /// <summary>The factor reached at t = T.</summary>
    public double Minimum { get; }

    /// <inheritdoc />
    public override double Factor(long step, long totalSteps) =>
        totalSteps <= 0 ? 1 : Minimum + (1 - Minimum) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps));

    /// <inheritdoc />
    public override string ToString() => Minimum == 0 ? "cosine" : $"cosine:{Num(Minimum)}";
}
