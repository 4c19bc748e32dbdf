using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// A data set held in memory as tensors: inputs <c>[P, C, H, W]</c> or <c>[P, d]</c> and int64 labels <c>[P]</c>, on
/// one device. Owns its tensors.
/// </summary>
public sealed class Dataset : IDisposable
{
    /// <summary>Wraps <paramref name="inputs"/> and <paramref name="labels"/> (taken over, not copied).</summary>
    /// <exception cref="LossLandscapeException">Shapes or dtypes do not fit.</exception>
    public Dataset(string name, Tensor inputs, Tensor labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.dim() < 2)
            throw new LossLandscapeException($"Data set '{name}': inputs must be [P, d] or [P, C, H, W]; got shape [{string.Join(", ", inputs.shape)}].");
        if (labels.dim() != 1 || labels.shape[0] != inputs.shape[0])
            throw new LossLandscapeException($"Data set '{name}': labels must be [P] with P = {inputs.shape[0]}; got shape [{string.Join(", ", labels.shape)}].");
        if (labels.dtype != ScalarType.Int64)
            throw new LossLandscapeException($"Data set '{name}': labels must be int64; got {labels.dtype}.");
        if (!inputs.is_floating_point())
            throw new LossLandscapeException($"Data set '{name}': inputs must be floating point; got {inputs.dtype}.");
        Name = name;
        Inputs = inputs;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>A short name (for example <c>fashion-mnist/train</c>).</summary>
    public string Name { get; }

    /// <summary>Inputs, first dimension P.</summary>
    public Tensor Inputs { get; }

    /// <summary>Labels in [0, k), int64, shape [P].</summary>
    public Tensor Labels { get; }

    /// <summary>Class names; their count is the number of classes k.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>P, the number of examples.</summary>
    public long Count => Inputs.shape[0];

    /// <summary>k, the number of classes.</summary>
    public int NumClasses => ClassNames.Count;

    /// <summary>Shape of one example (without the leading P).</summary>
    public long[] ExampleShape => Inputs.shape[1..];

    /// <summary>The device the tensors live on.</summary>
    public Device Device => Inputs.device;

    /// <summary>
    /// Consecutive chunks of at most <paramref name="size"/> examples, in order, as views (no copy): the last chunk is
    /// shorter when <paramref name="size"/> does not divide P. Memory for work on a chunk is bounded by the chunk.
    /// </summary>
    public IEnumerable<(Tensor X, Tensor Y)> Chunks(long size)
    {
        if (size < 1) throw new LossLandscapeException($"Chunk size {size} is not valid: give at least 1.");
        for (long start = 0; start < Count; start += size)
        {
            long n = Math.Min(size, Count - start);
            yield return (Inputs.narrow(0, start, n), Labels.narrow(0, start, n));
        }
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
