using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>What happens to the last batch of an epoch when the batch size does not divide the data set.</summary>
public enum LastBatchPolicy
{
    /// <summary>Keep the shorter last batch: every example is seen exactly once per epoch.</summary>
    Keep,
    /// <summary>Drop the shorter last batch: every batch has the full size; P mod B examples are skipped in each epoch (a different set each epoch when shuffling).</summary>
    DropLast,
}

/// <summary>
/// Splits the indices 0..P-1 into mini-batches, epoch by epoch: with shuffling, epoch e uses a random permutation
/// drawn from a generator seeded by (seed, e), so every epoch is a permutation (sampling without replacement), the
/// same seed gives the same batches, and epochs can be replayed in any order. Without shuffling the order is 0..P-1.
/// </summary>
public sealed class BatchSampler
{
    /// <summary>Creates a sampler over <paramref name="count"/> examples.</summary>
    /// <exception cref="LossLandscapeException">Count or batch size below 1.</exception>
    public BatchSampler(long count, long batchSize, LastBatchPolicy lastBatch = LastBatchPolicy.Keep, bool shuffle = true, long seed = 0)
    {
        if (count < 1) throw new LossLandscapeException($"A batch sampler needs at least 1 example; got {count}.");
        if (batchSize < 1) throw new LossLandscapeException($"Batch size {batchSize} is not valid: give at least 1.");
        Count = count;
        BatchSize = Math.Min(batchSize, count);
        LastBatch = lastBatch;
        Shuffle = shuffle;
        Seed = seed;
    }

    /// <summary>One batch of all examples in order, for full-batch gradient descent.</summary>
    public static BatchSampler FullBatch(long count) => new(count, count, LastBatchPolicy.Keep, shuffle: false);

    /// <summary>P, the number of examples.</summary>
    public long Count { get; }

    /// <summary>B, the batch size (at most P).</summary>
    public long BatchSize { get; }

    /// <summary>The last-batch policy.</summary>
    public LastBatchPolicy LastBatch { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the shuffles.</summary>
    public long Seed { get; }

    /// <summary>Batches per epoch: ceil(P / B) with <see cref="LastBatchPolicy.Keep"/>, floor(P / B) with <see cref="LastBatchPolicy.DropLast"/>.</summary>
    public long BatchesPerEpoch => LastBatch == LastBatchPolicy.Keep ? (Count + BatchSize - 1) / BatchSize : Count / BatchSize;

    /// <summary>The order of the examples in epoch <paramref name="epoch"/> (int64, CPU, a permutation of 0..P-1).</summary>
    public Tensor Order(long epoch)
    {
        if (!Shuffle) return arange(Count, dtype: ScalarType.Int64);
        using var g = new Generator(unchecked((ulong)(Seed * 1_000_003L + epoch) ^ 0x9E3779B97F4A7C15UL));
        return randperm(Count, generator: g);
    }

    /// <summary>The index batches of epoch <paramref name="epoch"/> (int64, CPU), each a new tensor the caller owns.</summary>
    public IEnumerable<Tensor> Epoch(long epoch)
    {
        var order = Order(epoch);
        try
        {
            for (long b = 0; b < BatchesPerEpoch; b++)
            {
                long start = b * BatchSize;
                yield return order.narrow(0, start, Math.Min(BatchSize, Count - start)).clone();
            }
        }
        finally
        {
            order.Dispose();
        }
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> of <paramref name="data"/>, gathered on the data's device (new
    /// tensors the caller owns; dispose them or use a dispose scope per step).
    /// </summary>
    /// <exception cref="LossLandscapeException">The data set's size differs from <see cref="Count"/>.</exception>
    public IEnumerable<(Tensor X, Tensor Y)> Batches(Dataset data, long epoch)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count != Count)
            throw new LossLandscapeException($"The batch sampler is for {Count} examples, but data set '{data.Name}' has {data.Count}.");
        return Gather(data, epoch);
    }

    private IEnumerable<(Tensor X, Tensor Y)> Gather(Dataset data, long epoch)
    {
        if (!Shuffle)
        {
            // In order: views, no copy.
            for (long b = 0; b < BatchesPerEpoch; b++)
            {
                long start = b * BatchSize, n = Math.Min(BatchSize, Count - start);
                yield return (data.Inputs.narrow(0, start, n), data.Labels.narrow(0, start, n));
            }
            yield break;
        }
        foreach (var idx in Epoch(epoch))
        {
            using (idx)
            {
                using var onDevice = idx.to(data.Device);
                yield return (data.Inputs.index_select(0, onDevice), data.Labels.index_select(0, onDevice));
            }
        }
    }
}
