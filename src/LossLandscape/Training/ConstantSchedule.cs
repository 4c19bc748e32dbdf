
namespace LossLandscape.Training;

/// <summary>Factor 1 at every step.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <inheritdoc />
    public override double Factor(long step, long totalSteps) => 1;

    /// <inheritdoc />
    public override string ToString() => "constant";
}
