
namespace LossLandscape.Training;

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
