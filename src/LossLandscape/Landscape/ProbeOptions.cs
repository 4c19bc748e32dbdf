using LossLandscape.Losses;

namespace LossLandscape.Landscape;

/// <summary>Options shared by every landscape probe.</summary>
public sealed record ProbeOptions
{
    /// <summary>The loss evaluated at every point (cross-entropy by default).</summary>
    public LossFunction Loss { get; init; } = new CrossEntropyLoss();

    /// <summary>Examples per forward pass when evaluating a data set (memory bound, not a statistical choice).</summary>
    public long ChunkSize { get; init; } = 1000;

    /// <summary>The BatchNorm policy, or null for the default (<see cref="BatchNorms.Resolve"/>).</summary>
    public BatchNormPolicy? BatchNorm { get; init; }

    /// <summary>Batch size of the BatchNorm recomputation (<see cref="BatchNormPolicy.Recompute"/>).</summary>
    public long RecomputeBatchSize { get; init; } = 128;

    /// <summary>Number of training batches the BatchNorm recomputation averages over.</summary>
    public int RecomputeBatches { get; init; } = 8;

    /// <summary>Reports (points done, points total) as a probe advances.</summary>
    public IProgress<ProbeProgress>? Progress { get; init; }
}

/// <summary>Progress of a probe.</summary>
/// <param name="Done">Points evaluated so far.</param>
/// <param name="Total">Points to evaluate.</param>
public sealed record ProbeProgress(int Done, int Total);

/// <summary>Loss and accuracy at one point, on the training data and (when given) the test data.</summary>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy as a fraction.</param>
/// <param name="TestLoss">Mean test loss, or null without test data.</param>
/// <param name="TestAccuracy">Test accuracy as a fraction, or null without test data.</param>
public sealed record PointMeasure(double Loss, double Accuracy, double? TestLoss, double? TestAccuracy);
