namespace LossLandscape.Landscape;

/// <summary>
/// The barriers of a line scan between two models (<see cref="LandscapeProbe.Interpolate"/> over a in [0, 1]) in its
/// loss and its error 1 - accuracy, on the training data and, when measured, the test data, by one of the definitions
/// of <see cref="Barriers"/>.
/// </summary>
/// <param name="TrainLoss">Barrier of the training loss.</param>
/// <param name="TrainError">Barrier of the training error (fraction).</param>
/// <param name="TestLoss">Barrier of the test loss, or null without test data.</param>
/// <param name="TestError">Barrier of the test error (fraction), or null without test data.</param>
public sealed record LineScanBarriers(double TrainLoss, double TrainError, double? TestLoss, double? TestError)
{
    /// <summary>max_a v(a) - (v(0) + v(1)) / 2 (<see cref="Barriers.AboveMeanOfEnds"/>) of each quantity; the scan's first and last points are the ends.</summary>
    public static LineScanBarriers AboveMeanOfEnds(LineScanResult line) => Of(line, Barriers.AboveMeanOfEnds);

    /// <summary>max_a v(a) - max(v(0), v(1)) (<see cref="Barriers.AboveHigherEnd"/>) of each quantity.</summary>
    public static LineScanBarriers AboveHigherEnd(LineScanResult line) => Of(line, Barriers.AboveHigherEnd);

    private static LineScanBarriers Of(LineScanResult line, Func<IReadOnlyList<double>, double> barrier)
    {
        ArgumentNullException.ThrowIfNull(line);
        var p = line.Points;
        bool test = p.All(q => q.TestLoss is not null && q.TestAccuracy is not null);
        return new LineScanBarriers(
            barrier(p.Select(q => q.Loss).ToList()),
            barrier(p.Select(q => 1 - q.Accuracy).ToList()),
            test ? barrier(p.Select(q => q.TestLoss!.Value).ToList()) : null,
            test ? barrier(p.Select(q => 1 - q.TestAccuracy!.Value).ToList()) : null);
    }
}
