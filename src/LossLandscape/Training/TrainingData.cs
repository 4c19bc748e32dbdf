using LossLandscape.Data;
using static TorchSharp.torch;

namespace LossLandscape.Training;

/// <summary>
/// Training and test sets ready for a <see cref="Trainer"/>, with the per-batch augmentation that preprocessing asks
/// for. Owns both sets.
/// </summary>
/// <param name="Train">Training set (normalized when preprocessing is on).</param>
/// <param name="Test">Test set (normalized with the training statistics when preprocessing is on), or null.</param>
/// <param name="Augmentation">Random shift and flip of a training batch, or null when off or not images.</param>
/// <param name="Description">What was done, for summaries (for example "normalize (mean 0.286, std 0.353), shift 4, flip").</param>
public sealed record TrainingData(Dataset Train, Dataset? Test, BatchAugmentation? Augmentation, string Description) : IDisposable
{
    /// <summary>Checkpoint metadata key of the per-channel input mean (comma-separated, invariant culture).</summary>
    public const string MetadataMean = "input_mean";

    /// <summary>Checkpoint metadata key of the per-channel input standard deviation.</summary>
    public const string MetadataStd = "input_std";

    /// <summary>Per-channel mean the inputs were normalized with, or null.</summary>
    public IReadOnlyList<double>? Mean { get; init; }

    /// <summary>Per-channel standard deviation the inputs were normalized with, or null.</summary>
    public IReadOnlyList<double>? Std { get; init; }

    /// <summary>The normalization as checkpoint metadata (empty when inputs are not normalized).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Mean is null || Std is null
        ? new Dictionary<string, string>()
        : new Dictionary<string, string>
        {
            [MetadataMean] = string.Join(",", Mean.Select(m => m.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
            [MetadataStd] = string.Join(",", Std.Select(m => m.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        };

    /// <summary>
    /// Normalizes <paramref name="data"/> with the normalization recorded in a checkpoint's metadata
    /// (<see cref="MetadataMean"/>, <see cref="MetadataStd"/>); returns null when the metadata records none.
    /// </summary>
    public static Dataset? NormalizeLike(Dataset data, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(MetadataMean, out var m) || !metadata.TryGetValue(MetadataStd, out var sd)) return null;
        static double[] Parse(string text) => text.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        using var pre = new Preprocessor(Preprocessing.None with { Normalize = true }, 0, null, Parse(m), Parse(sd));
        return NormalizedCopy(pre, data);
    }

    /// <summary>A copy of <paramref name="data"/> with its inputs normalized by <paramref name="pre"/>, in chunks.</summary>
    private static Dataset NormalizedCopy(Preprocessor pre, Dataset data)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        foreach (var (x, _) in data.Chunks(4096)) parts.Add(pre.Test(x));
        return new Dataset(data.Name, cat(parts.ToArray(), 0).DetachFromDisposeScope(), data.Labels.clone().DetachFromDisposeScope(), data.ClassNames);
    }

    /// <summary>
    /// Prepares <paramref name="split"/> for training on <paramref name="device"/> in <paramref name="dtype"/>. With
    /// <paramref name="preprocessing"/> on, inputs are normalized per channel with the training set's statistics (train
    /// and test, once, up front) and, for image data <c>[P, C, H, W]</c>, each training batch is shifted (zero-pad
    /// <see cref="Preprocessing.Pad"/>, random crop) and flipped (p = 0.5) per sample. Off: the data as read.
    /// </summary>
    /// <remarks>
    /// The augmentation draws its randomness from the generator it is given; the trainer gives it one seeded from
    /// (seed, step), so a resumed run repeats the same shifts and flips.
    /// </remarks>
    public static TrainingData Prepare(DataSplit split, bool preprocessing, Device device, ScalarType dtype, Preprocessing? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        var opts = preprocessing ? options ?? Preprocessing.Standard : Preprocessing.None;
        return PrepareWith(split, opts, device, dtype);
    }

    /// <summary>
    /// Prepares <paramref name="split"/> with normalization when <paramref name="preprocessing"/> is on, and the random
    /// shift and flip of image batches only when <paramref name="augment"/> is on too.
    /// </summary>
    public static TrainingData Prepare(DataSplit split, bool preprocessing, bool augment, Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(split);
        var opts = !preprocessing ? Preprocessing.None
            : augment ? Preprocessing.Standard
            : Preprocessing.Standard with { Shift = false, Flip = false };
        return PrepareWith(split, opts, device, dtype);
    }

    private static TrainingData PrepareWith(DataSplit split, Preprocessing opts, Device device, ScalarType dtype)
    {
        var test = split.Test.Count > 0 ? split.Test : null;
        if (!opts.Normalize && !opts.Augments)
            return new TrainingData(split.Train.To(device, dtype), test?.To(device, dtype), null, "none");

        using var pre = new Preprocessor(opts with { Shift = false, Flip = false }, 0, opts.Normalize ? split.Train.Inputs : null);
        Dataset Normalize(Dataset d)
        {
            if (!opts.Normalize) return d.To(device, dtype);
            using var moved = d.To(device, dtype);
            return NormalizedCopy(pre, moved);
        }
        var train = Normalize(split.Train);
        var testOut = test is null ? null : Normalize(test);
        bool images = train.Inputs.dim() == 4;
        BatchAugmentation? augmentation = null;
        var what = new List<string>();
        if (opts.Normalize)
            what.Add($"normalize (mean {string.Join("/", pre.Mean!.Select(m => m.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}, std {string.Join("/", pre.Std!.Select(m => m.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))})");
        if (images && (opts.Shift || opts.Flip))
        {
            int pad = opts.Pad;
            double p = opts.FlipProbability;
            bool shift = opts.Shift && pad > 0, flip = opts.Flip && p > 0;
            augmentation = (batch, g) =>
            {
                var x = batch;
                if (shift) x = Preprocessor.ShiftBatch(x, pad, g);
                if (flip)
                {
                    var y = Preprocessor.FlipBatch(x, p, g);
                    if (!ReferenceEquals(x, batch)) x.Dispose();
                    x = y;
                }
                return x;
            };
            if (shift) what.Add($"shift {pad}");
            if (flip) what.Add("flip");
        }
        return new TrainingData(train, testOut, augmentation, what.Count == 0 ? "none" : string.Join(", ", what))
        {
            Mean = opts.Normalize ? pre.Mean : null,
            Std = opts.Normalize ? pre.Std : null,
        };
    }

    /// <summary>Frees both sets.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test?.Dispose();
    }
}
