using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Applies <see cref="Preprocessing"/> to whole batches on the batch's device, with no per-image loop on the host.
/// Training batches get the random shift and flip (drawn per sample), then normalization; test batches only
/// normalization. The random draws come from a CPU generator seeded in the constructor (N numbers per batch are
/// moved to the device), so a seed gives the same augmentations on every device.
/// </summary>
/// <remarks>
/// Shift: with padding p, offsets (a_n, b_n) uniform in {0..2p}², out[n, c, i, j] = pad(x)[n, c, i + a_n, j + b_n],
/// where pad(x) is x with p zero rows/columns on each side; this is x shifted by (p - a_n, p - b_n) with zero fill.
/// Flip: out[n, c, i, j] = x[n, c, i, W - 1 - j] when u_n &lt; probability, u_n uniform in [0, 1).
/// Normalize: out[n, c, i, j] = (x[n, c, i, j] - mean_c) / std_c, applied after shift and flip, so the fill of a
/// shift is 0 in the input scale (as torchvision's RandomCrop(padding) before Normalize).
/// </remarks>
public sealed class Preprocessor : IDisposable
{
    private readonly Generator _generator;
    private readonly Tensor? _mean;
    private readonly Tensor? _std;

    /// <summary>
    /// Creates a preprocessor. With <see cref="Preprocessing.Normalize"/> on, the per-channel statistics are
    /// <paramref name="mean"/> and <paramref name="std"/> (one value per channel) when given, else computed from
    /// <paramref name="trainingInputs"/> (<see cref="ChannelStatistics"/>).
    /// </summary>
    /// <exception cref="LossLandscapeException">Normalization without statistics or training inputs, a non-positive std, or bad options.</exception>
    public Preprocessor(Preprocessing options, long seed = 0, Tensor? trainingInputs = null, IReadOnlyList<double>? mean = null, IReadOnlyList<double>? std = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        _generator = new Generator((ulong)seed);
        if (!options.Normalize) return;
        if ((mean is null) != (std is null))
            throw new LossLandscapeException("Normalization needs both a mean and a std per channel, or neither (then they come from the training set).");
        if (mean is null || std is null)
        {
            if (trainingInputs is null)
                throw new LossLandscapeException("Normalization is on but neither the training inputs nor a per-channel mean and std were given.");
            (mean, std) = ChannelStatistics(trainingInputs);
        }
        if (mean.Count != std.Count || mean.Count == 0)
            throw new LossLandscapeException($"Normalization needs one mean and one std per channel; got {mean.Count} means and {std.Count} stds.");
        if (std.Any(s => !(s > 0) || !double.IsFinite(s)))
            throw new LossLandscapeException($"Normalization std must be positive and finite in every channel; got [{string.Join(", ", std)}].");
        Mean = mean.ToArray();
        Std = std.ToArray();
        _mean = tensor(mean.ToArray(), dtype: ScalarType.Float64);
        _std = tensor(std.ToArray(), dtype: ScalarType.Float64);
    }

    /// <summary>The options.</summary>
    public Preprocessing Options { get; }

    /// <summary>Per-channel mean used for normalization (null when normalization is off).</summary>
    public IReadOnlyList<double>? Mean { get; }

    /// <summary>Per-channel standard deviation used for normalization (null when normalization is off).</summary>
    public IReadOnlyList<double>? Std { get; }

    /// <summary>
    /// Per-channel mean and (population) standard deviation of inputs <c>[P, C, ...]</c>, computed in float64 in
    /// chunks: mean_c = Σ x / m, std_c = sqrt(Σ x² / m - mean_c²), m = P × (pixels per channel).
    /// </summary>
    public static (double[] Mean, double[] Std) ChannelStatistics(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() < 2 || inputs.shape[0] == 0)
            throw new LossLandscapeException($"Channel statistics need inputs [P, C, ...] with P > 0; got shape [{string.Join(", ", inputs.shape)}].");
        long c = inputs.shape[1];
        using var scope = NewDisposeScope();
        var sum = zeros(c, dtype: ScalarType.Float64, device: inputs.device);
        var sumSq = zeros(c, dtype: ScalarType.Float64, device: inputs.device);
        long per = inputs.numel() / (inputs.shape[0] * c);
        const long chunk = 4096;
        for (long s = 0; s < inputs.shape[0]; s += chunk)
        {
            using var inner = NewDisposeScope();
            var x = inputs.narrow(0, s, Math.Min(chunk, inputs.shape[0] - s)).to(ScalarType.Float64).reshape(-1, c, per);
            sum.add_(x.sum(new long[] { 0, 2 }));
            sumSq.add_(x.square().sum(new long[] { 0, 2 }));
        }
        double m = (double)inputs.shape[0] * per;
        var mean = sum.div(m);
        var variance = sumSq.div(m).sub_(mean.square()).clamp_min_(0);
        var meanA = mean.cpu().data<double>().ToArray();
        var stdA = variance.sqrt().cpu().data<double>().ToArray();
        return (meanA, stdA);
    }

    /// <summary>
    /// Preprocesses a training batch <c>[N, C, H, W]</c>: random shift and flip (when on), then normalization (when on).
    /// Returns a new tensor on the batch's device and dtype; with everything off, a copy of the batch.
    /// </summary>
    /// <exception cref="LossLandscapeException">The batch is not 4-D, or its channel count differs from the statistics.</exception>
    public Tensor Train(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Options.Augments) CheckImages(batch);
        using var scope = NewDisposeScope();
        var x = batch;
        if (Options.Shift && Options.Pad > 0) x = ShiftBatch(x, Options.Pad, _generator);
        if (Options.Flip && Options.FlipProbability > 0) x = FlipBatch(x, Options.FlipProbability, _generator);
        x = Options.Normalize ? NormalizeBatch(x) : x.clone();
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Preprocesses a test batch: normalization only (when on). Returns a new tensor; with normalization off, a copy.</summary>
    public Tensor Test(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Options.Normalize ? NormalizeBatch(batch) : batch.clone();
    }

    /// <summary>
    /// Shifts every sample of <paramref name="batch"/> <c>[N, C, H, W]</c> by its own random offset in
    /// [-pad, pad]² with zero fill (pad, then gather a random crop), drawing from <paramref name="generator"/>.
    /// </summary>
    public static Tensor ShiftBatch(Tensor batch, int pad, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(generator);
        CheckImages(batch);
        long n = batch.shape[0], c = batch.shape[1], h = batch.shape[2], w = batch.shape[3];
        long hp = h + 2 * pad, wp = w + 2 * pad;
        using var scope = NewDisposeScope();
        var offsets = randint(2 * pad + 1, new[] { n, 2 }, generator: generator, dtype: ScalarType.Int64).to(batch.device);
        var padded = nn.functional.pad(batch, new long[] { pad, pad, pad, pad });
        // Linear index into the padded H' x W' plane: (a_n + i) W' + (b_n + j).
        var rows = offsets.select(1, 0).view(n, 1, 1).add(arange(h, dtype: ScalarType.Int64, device: batch.device).view(1, h, 1));
        var cols = offsets.select(1, 1).view(n, 1, 1).add(arange(w, dtype: ScalarType.Int64, device: batch.device).view(1, 1, w));
        var index = rows.mul(wp).add(cols).view(n, 1, h * w).expand(n, c, h * w);
        var result = padded.reshape(n, c, hp * wp).gather(2, index).view(n, c, h, w);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Flips each sample of <paramref name="batch"/> <c>[N, C, H, W]</c> horizontally with probability <paramref name="probability"/>, drawn per sample from <paramref name="generator"/>.</summary>
    public static Tensor FlipBatch(Tensor batch, double probability, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(generator);
        CheckImages(batch);
        long n = batch.shape[0];
        using var scope = NewDisposeScope();
        var mask = rand(new[] { n }, generator: generator).lt(probability).to(batch.device).view(n, 1, 1, 1);
        return where(mask, batch.flip(3), batch).MoveToOuterDisposeScope();
    }

    private Tensor NormalizeBatch(Tensor batch)
    {
        if (batch.dim() < 2 || batch.shape[1] != Mean!.Count)
            throw new LossLandscapeException($"Normalization has statistics for {Mean!.Count} channel(s), but the batch has shape [{string.Join(", ", batch.shape)}] (channels are dimension 1).");
        using var scope = NewDisposeScope();
        var shape = new long[batch.dim()];
        Array.Fill(shape, 1L);
        shape[1] = Mean.Count;
        var mean = _mean!.to(batch.dtype, batch.device).view(shape);
        var std = _std!.to(batch.dtype, batch.device).view(shape);
        return batch.sub(mean).div_(std).MoveToOuterDisposeScope();
    }

    private static void CheckImages(Tensor batch)
    {
        if (batch.dim() != 4)
            throw new LossLandscapeException($"Shift and flip need image batches [N, C, H, W]; got shape [{string.Join(", ", batch.shape)}].");
    }

    /// <summary>Frees the generator and statistics.</summary>
    public void Dispose()
    {
        _generator.Dispose();
        _mean?.Dispose();
        _std?.Dispose();
    }
}
