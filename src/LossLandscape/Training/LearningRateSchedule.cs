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

/// <summary>Factor 1 at every step.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <inheritdoc />
    public override double Factor(long step, long totalSteps) => 1;

    /// <inheritdoc />
    public override string ToString() => "constant";
}

/// <summary>Multi-step decay: the factor is gamma^(number of milestones &lt;= t) (PyTorch's MultiStepLR).</summary>
public sealed class MultiStepSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule; milestones are sorted.</summary>
    public MultiStepSchedule(IEnumerable<long> milestones, double gamma)
    {
        Milestones = milestones.OrderBy(m => m).ToArray();
        Gamma = gamma;
    }

    /// <summary>The steps at which the factor is multiplied by <see cref="Gamma"/>.</summary>
    public IReadOnlyList<long> Milestones { get; }

    /// <summary>The multiplier per milestone.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double Factor(long step, long totalSteps) => Math.Pow(Gamma, Milestones.Count(m => m <= step));

    /// <inheritdoc />
    public override string ToString() => $"step:{string.Join(",", Milestones)}:{Num(Gamma)}";
}

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
