
namespace LossLandscape.Training;

/// <summary>Linear decay from 1 to <see cref="Minimum"/> over the run.</summary>
/// <remarks>Factor(t, T) = MIN + (1 - MIN) (1 - t / T).</remarks>
public sealed class LinearSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public LinearSchedule(double minimum = 0) => Minimum = minimum;

    /// <summary>The factor reached at t = T.</summary>
    public double Minimum { get; }

    /// <inheritdoc />
    public override double Factor(long step, long totalSteps) =>
        totalSteps <= 0 ? 1 : Minimum + (1 - Minimum) * (1 - (double)Math.Min(step, totalSteps) / totalSteps);

    /// <inheritdoc />
    public override string ToString() => Minimum == 0 ? "linear" : $"linear:{Num(Minimum)}";
}
