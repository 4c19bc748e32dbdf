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
