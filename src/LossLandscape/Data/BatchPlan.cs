using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// The one way the library picks a sequence of mini-batches from N examples: <see cref="BatchOrder.Sequential"/>,
/// <see cref="BatchOrder.Shuffled"/> (epochs of a permutation, drop-last) or <see cref="BatchOrder.Sampled"/>
/// (independent draws). The trainer, path search and every other stochastic loop take their batches from a plan.
/// </summary>
/// <remarks>
/// Every draw is a function of the seed and the position (<see cref="SeedStreams"/>): the permutation of epoch e comes
/// from (seed, <see cref="SeedStreams.Shuffle"/>, e), the k-th sampled batch from (seed, <see cref="SeedStreams.Sample"/>,
/// k). A plan restored to a saved <see cref="Cursor"/> therefore continues exactly as an uninterrupted one. A full batch
/// (batch size null) is one whole pass in data order and moves the cursor to the next epoch.
/// </remarks>
public sealed class BatchPlan : IDisposable
{
    private Tensor? _permutation;
    private long _permutationEpoch = -1;
    private long _permutationCount = -1;

    private BatchPlan(BatchOrder order, long seed)
    {
        Order = order;
        Seed = seed;
    }

    /// <summary>The order of the batches.</summary>
    public BatchOrder Order { get; }

    /// <summary>The seed of the draws (unused by <see cref="BatchOrder.Sequential"/>).</summary>
    public long Seed { get; }

    /// <summary>The position: epoch and examples of it used (for <see cref="BatchOrder.Sampled"/>, Epoch counts the draws).</summary>
    public BatchCursor Cursor { get; } = new();

    /// <summary>Consecutive batches in data order.</summary>
    public static BatchPlan Sequential() => new(BatchOrder.Sequential, 0);

    /// <summary>Epochs of the permutation drawn from (<paramref name="seed"/>, epoch), sliced into batches, drop-last.</summary>
    public static BatchPlan Shuffled(long seed) => new(BatchOrder.Shuffled, seed);

    /// <summary>Independent batches, the k-th drawn without replacement from (<paramref name="seed"/>, k).</summary>
    public static BatchPlan Sampled(long seed) => new(BatchOrder.Sampled, seed);

    /// <summary>
    /// The example indices (int64, on the CPU, in the current dispose scope) of the next batch of
    /// <paramref name="batchSize"/> examples (null: the whole data) out of <paramref name="count"/>, and moves past it.
    /// </summary>
    /// <exception cref="LossLandscapeException">A count below 1, or a batch size below 1 or above the count.</exception>
    public Tensor Next(long count, long? batchSize)
    {
        if (count < 1) throw new LossLandscapeException($"Cannot draw a batch from {count} examples: give at least 1.");
        if (batchSize is long b && (b < 1 || b > count))
            throw new LossLandscapeException($"Batch size {b} is not valid for {count} examples: give 1 to {count}.");
        if (batchSize is null)
        {
            Cursor.Advance(null, count);
            return arange(count, dtype: ScalarType.Int64);
        }
        long size = batchSize.Value;
        switch (Order)
        {
            case BatchOrder.Sampled:
            {
                long draw = Cursor.Epoch++;
                using var all = SeedStreams.Permutation(count, Seed, SeedStreams.Sample, draw);
                return all.narrow(0, 0, size).clone();
            }
            case BatchOrder.Sequential:
            {
                var (_, offset) = Cursor.Advance(checked((int)size), count);
                return arange(offset, offset + size, dtype: ScalarType.Int64);
            }
            default:
            {
                var (epoch, offset) = Cursor.Advance(checked((int)size), count);
                if (epoch != _permutationEpoch || count != _permutationCount)
                {
                    _permutation?.Dispose();
                    _permutation = SeedStreams.Permutation(count, Seed, SeedStreams.Shuffle, epoch).DetachFromDisposeScope();
                    _permutationEpoch = epoch;
                    _permutationCount = count;
                }
                return _permutation!.narrow(0, offset, size).clone();
            }
        }
    }

    /// <summary>
    /// The inputs and targets of the next batch of <paramref name="batchSize"/> examples of <paramref name="data"/>: new
    /// tensors in the current dispose scope (wrap the call in one), the data staying the caller's.
    /// </summary>
    /// <exception cref="LossLandscapeException">The data cannot be indexed (a sequence of batches), or the batch size does not fit.</exception>
    public (Tensor Inputs, Tensor Targets) NextBatch(BatchSource data, long batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var idx = Next(data.Count, batchSize);
        return data.Gather(idx);
    }

    /// <summary>Frees the cached permutation.</summary>
    public void Dispose()
    {
        _permutation?.Dispose();
        _permutation = null;
        _permutationEpoch = -1;
    }
}
