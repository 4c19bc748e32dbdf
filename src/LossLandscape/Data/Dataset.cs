using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// A data set held in memory as tensors: inputs <c>[P, C, H, W]</c> or <c>[P, d]</c> and int64 labels <c>[P]</c>, on
/// one device. Owns its tensors, except a <see cref="View"/>.
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

    /// <summary>
    /// A data set over the caller's tensors that does not take them over: disposing it leaves <paramref name="inputs"/>
    /// and <paramref name="labels"/> alive. The <paramref name="classes"/> classes are named 0 to k - 1.
    /// </summary>
    /// <exception cref="LossLandscapeException">Shapes or dtypes do not fit, or fewer than one class.</exception>
    public static Dataset View(string name, Tensor inputs, Tensor labels, int classes)
    {
        if (classes < 1) throw new LossLandscapeException($"Data set '{name}': {classes} classes is not valid; give at least 1.");
        return new Dataset(name, inputs, labels, Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()) { _owns = false };
    }

    private bool _owns = true;

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
    /// Examples per class: entry c is the number of labels equal to c, for c in [0, k).
    /// </summary>
    public long[] ClassHistogram()
    {
        using var scope = NewDisposeScope();
        var counts = Labels.cpu().bincount(null, NumClasses);
        var all = counts.data<long>().ToArray();
        return all.Length > NumClasses ? all[..NumClasses] : all;
    }

    /// <summary>
    /// The examples at <paramref name="indices"/> (int64, any device), in that order, as a new data set with copied
    /// tensors on this data set's device.
    /// </summary>
    /// <exception cref="LossLandscapeException">An index is outside [0, P).</exception>
    public Dataset Select(Tensor indices, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.dim() != 1 || indices.dtype != ScalarType.Int64)
            throw new LossLandscapeException($"Data set '{Name}': indices must be a 1-D int64 tensor; got {indices.dtype} of shape [{string.Join(", ", indices.shape)}].");
        using var scope = NewDisposeScope();
        var idx = indices.to(Device);
        if (idx.numel() > 0)
        {
            long lo = idx.min().item<long>(), hi = idx.max().item<long>();
            if (lo < 0 || hi >= Count)
                throw new LossLandscapeException($"Data set '{Name}': index {(lo < 0 ? lo : hi)} is outside [0, {Count}).");
        }
        var x = Inputs.index_select(0, idx).MoveToOuterDisposeScope();
        var y = Labels.index_select(0, idx).MoveToOuterDisposeScope();
        return new Dataset(name ?? Name, x, y, ClassNames);
    }

    /// <summary>The first <paramref name="n"/> examples (a copy).</summary>
    /// <exception cref="LossLandscapeException"><paramref name="n"/> is not in [0, P].</exception>
    public Dataset Take(long n)
    {
        CheckSubsetSize(n);
        return new Dataset($"{Name}[:{n}]", Inputs.narrow(0, 0, n).clone(), Labels.narrow(0, 0, n).clone(), ClassNames);
    }

    /// <summary>
    /// <paramref name="n"/> examples drawn uniformly at random without replacement with a generator seeded by
    /// <paramref name="seed"/>; kept in their original order. The same seed gives the same subset.
    /// </summary>
    /// <exception cref="LossLandscapeException"><paramref name="n"/> is not in [0, P].</exception>
    public Dataset RandomSubset(long n, long seed)
    {
        CheckSubsetSize(n);
        Tensor idx;
        using (var scope = NewDisposeScope())
        {
            using var g = new Generator((ulong)seed);
            idx = randperm(Count, generator: g).narrow(0, 0, n).sort().Values.MoveToOuterDisposeScope();
        }
        using (idx)
            return Select(idx, $"{Name}[random {n}, seed {seed}]");
    }

    /// <summary>
    /// A class-balanced subset of <paramref name="n"/> examples: each of the k classes gives floor(n / k) examples and
    /// the first n mod k classes one more, drawn at random without replacement within the class (generator seeded by
    /// <paramref name="seed"/>); kept in their original order.
    /// </summary>
    /// <exception cref="LossLandscapeException">A class has fewer examples than its share, or n is not in [0, P].</exception>
    public Dataset BalancedSubset(long n, long seed)
    {
        CheckSubsetSize(n);
        using var idx = BalancedIndices(n, seed);
        return Select(idx, $"{Name}[balanced {n}, seed {seed}]");
    }

    private Tensor BalancedIndices(long n, long seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var labels = Labels.cpu();
        var histogram = ClassHistogram();
        var parts = new List<Tensor>();
        long baseShare = n / NumClasses, extra = n % NumClasses;
        for (int c = 0; c < NumClasses; c++)
        {
            long share = baseShare + (c < extra ? 1 : 0);
            if (share == 0) continue;
            if (histogram[c] < share)
                throw new LossLandscapeException($"Data set '{Name}': class {c} ({ClassNames[c]}) has {histogram[c]} examples, fewer than the {share} a balanced subset of {n} needs; ask for at most {histogram.Min() * NumClasses} examples.");
            var members = labels.eq(c).nonzero().view(-1);
            var pick = members.index_select(0, randperm(members.shape[0], generator: g).narrow(0, 0, share));
            parts.Add(pick);
        }
        var idx = parts.Count == 0 ? empty(0, dtype: ScalarType.Int64) : cat(parts, 0).sort().Values;
        return idx.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A copy whose labels are corrupted for memorization experiments: round(p P) examples, chosen at random without
    /// replacement, get a label drawn uniformly from all k classes (so about a fraction 1/k of them keep their label by
    /// chance, as in Zhang et al., 2017). Inputs are shared by copy; the generator is seeded by <paramref name="seed"/>.
    /// </summary>
    /// <remarks>Number of examples whose label is redrawn: m = round(p P); expected number changed: m (1 - 1/k).</remarks>
    /// <exception cref="LossLandscapeException"><paramref name="p"/> is not in [0, 1].</exception>
    public Dataset WithCorruptedLabels(double p, long seed)
    {
        if (!(p >= 0 && p <= 1))
            throw new LossLandscapeException($"Label corruption fraction {p} is not valid: give a number in [0, 1].");
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        long m = (long)Math.Round(p * Count, MidpointRounding.AwayFromZero);
        var which = randperm(Count, generator: g).narrow(0, 0, m);
        var newLabels = randint(NumClasses, new[] { m }, generator: g, dtype: ScalarType.Int64);
        var y = Labels.cpu().clone();
        y.index_put_(newLabels, which);
        var labels = y.to(Device, copy: true).MoveToOuterDisposeScope();
        var inputs = Inputs.clone().MoveToOuterDisposeScope();
        return new Dataset($"{Name}[corrupted {p}, seed {seed}]", inputs, labels, ClassNames);
    }

    /// <summary>
    /// A copy on <paramref name="device"/> with inputs in <paramref name="dtype"/> (unchanged when null); labels stay
    /// int64.
    /// </summary>
    public Dataset To(Device device, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var dt = dtype ?? Inputs.dtype;
        if (dt is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new LossLandscapeException($"Data set '{Name}': inputs must be floating point; {dt} is not.");
        return new Dataset(Name, Inputs.to(dt, device, copy: true), Labels.to(device, copy: true), ClassNames);
    }

    private void CheckSubsetSize(long n)
    {
        if (n < 0 || n > Count)
            throw new LossLandscapeException($"Data set '{Name}': a subset of {n} examples is not possible; give a number in [0, {Count}].");
    }

    /// <summary>Frees the tensors (a <see cref="View"/> leaves them to their owner).</summary>
    public void Dispose()
    {
        if (!_owns) return;
        Inputs.Dispose();
        Labels.Dispose();
    }
}
