
namespace LossLandscape.Training;

/// <summary>Linear warm-up over <see cref="Steps"/> updates multiplied onto another schedule.</summary>
/// <remarks>Factor(t, T) = min(1, (t + 1) / W) * Inner(t, T).</remarks>
public sealed class WarmupSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public WarmupSchedule(long steps, LearningRateSchedule inner)
    {
        Steps = steps;
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
    }

    /// <summary>W, the warm-up length.</summary>
    public long Steps { get; }

    /// <summary>The schedule the warm-up multiplies.</summary>
    public LearningRateSchedule Inner { get; }

    /// <inheritdoc />
    public override double Factor(long step, long totalSteps) => Math.Min(1.0, (step + 1.0) / Steps) * Inner.Factor(step, totalSteps);

    /// <inheritdoc />
    public override string ToString() => $"warmup:{Steps}+{Inner}";
}
