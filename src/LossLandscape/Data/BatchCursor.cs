
namespace LossLandscape.Data;

/// <summary>
/// Position in the sequence of epochs: the epoch index and the number of examples of its permutation already used.
/// </summary>
/// <remarks>
/// A mini-batch of size B starts a new epoch when fewer than B examples of the current one remain (drop-last); a
/// full-batch step (B = null) uses one whole epoch.
/// </remarks>
public sealed class BatchCursor
{
    /// <summary>The current epoch index (0-based).</summary>
    public long Epoch { get; set; }

    /// <summary>Examples of the current epoch's permutation already used.</summary>
    public long Position { get; set; }

    /// <summary>
    /// Moves past the next batch of size <paramref name="batchSize"/> (null = full batch) of <paramref name="count"/>
    /// examples; returns the epoch and the offset in its permutation where the batch starts.
    /// </summary>
    public (long Epoch, long Offset) Advance(int? batchSize, long count)
    {
        if (batchSize is not int b)
        {
            if (Position > 0) { Epoch++; Position = 0; }
            var at = (Epoch, 0L);
            Epoch++;
            return at;
        }
        if (Position + b > count) { Epoch++; Position = 0; }
        var start = (Epoch, Position);
        Position += b;
        return start;
    }

    /// <summary>The number of epochs finished if the next batch has size <paramref name="nextBatchSize"/> (a started epoch counts once no further batch fits).</summary>
    public long CompletedEpochs(int? nextBatchSize, long count)
    {
        if (Position == 0) return Epoch;
        return nextBatchSize is int b && Position + b <= count ? Epoch : Epoch + 1;
    }

    /// <summary>Progress in epochs, Epoch + Position / P.</summary>
    public double Epochs(long count) => Epoch + (double)Position / count;
}
