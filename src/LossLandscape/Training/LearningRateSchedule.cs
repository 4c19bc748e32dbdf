using System.Globalization;

namespace LossLandscape.Training;

/// <summary>
/// A learning-rate schedule: the factor by which the base learning rate is multiplied at update t (t = 0 for the first
/// update) of a run of T updates, so lr(t) = lr_0 * Factor(t, T).
/// </summary>
/// <remarks>
/// Text forms (<c>ToString()</c>; a front end reads them back, for example LossLandscape.Specs.ScheduleSpec):
/// <list type="bullet">
/// <item><c>constant</c>: 1.</item>
/// <item><c>step:M1,M2,...:GAMMA</c>: gamma^(number of milestones M_i &lt;= t), as PyTorch's MultiStepLR
/// (for example <c>step:30000,40000:0.1</c>).</item>
/// <item><c>cosine</c> or <c>cosine:MIN</c>: MIN + (1 - MIN) (1 + cos(pi t / T)) / 2.</item>
/// <item><c>linear</c> or <c>linear:MIN</c>: MIN + (1 - MIN) (1 - t / T).</item>
/// <item><c>warmup:W+SCHEDULE</c>: min(1, (t + 1) / W) times SCHEDULE(t, T) (linear warm-up multiplied onto the
/// schedule, with the schedule's own step count unshifted; for example <c>warmup:500+cosine</c>).</item>
/// </list>
/// </remarks>
public abstract class LearningRateSchedule
{
    /// <summary>The factor at update <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public abstract double Factor(long step, long totalSteps);

    /// <summary>The learning rate lr_0 * Factor(t, T).</summary>
    public double Rate(double baseRate, long step, long totalSteps) => baseRate * Factor(step, totalSteps);

    /// <summary>Two schedules are equal when their texts are (the text determines the schedule).</summary>
    public override bool Equals(object? obj) => obj is LearningRateSchedule other && other.ToString() == ToString();

    /// <inheritdoc />
    public override int GetHashCode() => (ToString() ?? "").GetHashCode(StringComparison.Ordinal);

    /// <summary>Formats a number for the text form.</summary>
    protected static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
