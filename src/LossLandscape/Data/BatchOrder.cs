namespace LossLandscape.Data;

/// <summary>How a <see cref="BatchPlan"/> picks the examples of its batches.</summary>
public enum BatchOrder
{
    /// <summary>Consecutive examples in data order; a new pass starts when fewer than a batch remain (drop-last).</summary>
    Sequential,

    /// <summary>Epochs of a seeded permutation, consecutive slices of it per batch, drop-last (SGD's usual order).</summary>
    Shuffled,

    /// <summary>Each batch an independent seeded draw without replacement from all examples.</summary>
    Sampled,
}
