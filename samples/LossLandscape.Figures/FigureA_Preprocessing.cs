using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Plotting;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure A (slides 2-4): the same training images raw and processed: per-channel normalization, a random shift (zero
/// pad 4 pixels, random crop back to the original size) and a random horizontal flip (p = 0.5), drawn per sample from
/// a seeded generator.
/// </summary>
/// <remarks>
/// Quick and smoke: Fashion-MNIST (gray 28x28); full: CIFAR-10 (RGB 32x32), the talk's data set. Display: raw, shifted
/// and flipped images are in [0, 1] and shown as they are; normalized images z = (x - mean_c) / std_c are shown as
/// clamp((z + 2) / 4, 0, 1), a fixed map (not per image) so the change of contrast and of the background is visible.
/// Checks, all exact (no tolerance): each shifted image equals the raw image shifted by some (dy, dx) in [-4, 4]^2 with
/// zero fill, possibly mirrored, found by an independent search over the 81 x 2 candidates; copies of one image get
/// different augmentations (per sample); the same seed repeats the augmentation bit for bit and another seed changes it;
/// with everything off the preprocessor is the identity.
/// </remarks>
public sealed class FigureA : Figure
{
    /// <inheritdoc />
    public override string Id => "A";

    /// <inheritdoc />
    public override string Title => "Raw vs processed images: normalize, random shift, random flip (per sample, seeded)";

    /// <inheritdoc />
    public override string Slides => "2-4";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        using var split = context.LoadData("cifar10");
        int n = context.Pick(6, 8, 8);
        int copies = context.Pick(16, 64, 256, 64);
        long seed = context.Seed + 1;
        const int pad = 4;
        using var scope = NewDisposeScope();

        // The images: one per class (balanced subset), in [0, 1], [n, C, H, W] float32 on the CPU.
        using var shown = split.Train.BalancedSubset(n, seed);
        var raw = shown.Inputs.to(ScalarType.Float32).cpu();
        var labels = shown.Labels.cpu().data<long>().ToArray();

        // Per-channel statistics of the whole training set, as training uses them.
        var (mean, std) = Preprocessor.ChannelStatistics(split.Train.Inputs);
        using var normalizeOnly = new Preprocessor(new Preprocessing(Normalize: true), 0, null, mean, std);
        var normalized = normalizeOnly.Test(raw);

        Tensor Shift(Tensor x, long s) { using var g = new Generator((ulong)s); return Preprocessor.ShiftBatch(x, pad, g); }
        Tensor Flip(Tensor x, long s) { using var g = new Generator((ulong)s); return Preprocessor.FlipBatch(x, 0.5, g); }
        Tensor Pipeline(Tensor x, long s) { using var p = new Preprocessor(Preprocessing.Standard, s, null, mean, std); return p.Train(x); }

        var shifted = Shift(raw, seed);
        var flipped = Flip(raw, seed);
        var full = Pipeline(raw, seed);
        var fullAgain = Pipeline(raw, seed);
        var fullOther = Pipeline(raw, seed + 1);
        // One image, many copies: each copy gets its own shift and flip.
        var copiesBatch = raw.narrow(0, 0, 1).expand(copies, -1, -1, -1).contiguous();
        var augmentedCopies = Flip(Shift(copiesBatch, seed), seed + 7);

        // Check 1: every shifted (and then flipped) copy is the raw image moved by an offset in [-pad, pad]^2, maybe mirrored.
        var rawImage = ToArrays(raw.narrow(0, 0, 1))[0];
        var found = ToArrays(augmentedCopies).Select(a => FindShift(rawImage, a, pad)).ToList();
        int matched = found.Count(f => f is not null);
        var distinctCopies = ToArrays(augmentedCopies).Select(Key).Distinct().Count();
        var offsets = found.Where(f => f is not null).Select(f => f!.Value).ToList();
        int distinctOffsets = offsets.Distinct().Count();
        // Shift of the n different images: recovered offsets vary from image to image.
        var shiftFound = ToArrays(raw).Zip(ToArrays(shifted)).Select(p => FindShift(p.First, p.Second, pad)).ToList();

        // Check 2: the same seed reproduces the augmentation exactly; another seed changes it.
        double sameSeedDiff = full.sub(fullAgain).abs().max().item<float>();
        double otherSeedDiff = full.sub(fullOther).abs().max().item<float>();
        // Check 3: with everything off, the preprocessor is the identity (for training and test batches).
        using var off = new Preprocessor(Preprocessing.None, seed);
        double identityDiff = Math.Max(off.Train(raw).sub(raw).abs().max().item<float>(), off.Test(raw).sub(raw).abs().max().item<float>());
        using var zeroed = new Preprocessor(new Preprocessing(Shift: true, Flip: true, Pad: 0, FlipProbability: 0), seed);
        double zeroPadDiff = zeroed.Train(raw).sub(raw).abs().max().item<float>();
        // Normalized training set: per-channel mean 0 and std 1.
        var normStats = NormalizedStatistics(split.Train.Inputs, normalizeOnly);

        // The grid.
        static IReadOnlyList<float[,,]> Display(Tensor z) => ToArrays(z.add(2).div(4));
        var rows = new List<(string, IReadOnlyList<float[,,]>)>
        {
            ("raw", ToArrays(raw)),
            ("normalized", Display(normalized)),
            ($"shift +-{pad}", ToArrays(shifted)),
            ("flip p=0.5", ToArrays(flipped)),
            ($"all, seed {seed}", Display(full)),
            ($"all, seed {seed} again", Display(fullAgain)),
            ($"all, seed {seed + 1}", Display(fullOther)),
            ("one image, per-sample", ToArrays(augmentedCopies.narrow(0, 0, n))),
        };
        int scale = context.Pick(3, 4, 4);
        Charts.ImageGrid(rows, new ChartOptions(context.PlotTitle("raw vs processed training images"), Width: 1000, Height: 960), scale,
            context.PathOf("preprocessing.png"), context.PathOf("preprocessing.svg"));

        // The offsets drawn for the copies of one image: a scatter of (dx, dy), mirrored ones apart.
        var notMirrored = offsets.Where(o => !o.Mirrored).ToList();
        var mirrored = offsets.Where(o => o.Mirrored).ToList();
        var jitter = new Random(0);
        double J() => (jitter.NextDouble() - 0.5) * 0.3;
        Charts.Lines(new[]
        {
            new Series("not flipped", notMirrored.Select(o => o.Dx + J()).ToArray(), notMirrored.Select(o => o.Dy + J()).ToArray(), Markers: true),
            new Series("flipped", mirrored.Select(o => o.Dx + J()).ToArray(), mirrored.Select(o => o.Dy + J()).ToArray(), Markers: true),
        }, new ChartOptions(context.PlotTitle($"shift recovered from {copies} augmented copies of one image"), "dx (pixels)", "dy (pixels)"),
            context.PathOf("offsets.png"), context.PathOf("offsets.svg"));

        context.WriteCsv("offsets.csv", new[] { "copy", "dx", "dy", "flipped", "matched" },
            found.Select((f, i) => (IReadOnlyList<object>)new object[] { i, f?.Dx ?? 0, f?.Dy ?? 0, f?.Mirrored ?? false, f is not null }));
        context.WriteJson("summary.json", new
        {
            data = context.DataName,
            images = n,
            classes = labels.Select(l => split.ClassNames[(int)l]).ToArray(),
            channelMean = mean,
            channelStd = std,
            normalizedMean = normStats.Mean,
            normalizedStd = normStats.Std,
            pad,
            seed,
            copies,
            copiesMatchedByAShift = matched,
            distinctAugmentedCopies = distinctCopies,
            distinctOffsets,
            shiftOfShownImages = shiftFound.Select(f => f is null ? null : new { f.Value.Dx, f.Value.Dy }).ToArray(),
            sameSeedMaxDifference = sameSeedDiff,
            otherSeedMaxDifference = otherSeedDiff,
            identityMaxDifference = identityDiff,
            zeroPadNoFlipMaxDifference = zeroPadDiff,
        });

        bool claim = matched == copies && distinctCopies > copies / 4 && sameSeedDiff == 0 && otherSeedDiff > 0 && identityDiff == 0 && zeroPadDiff == 0
            && normStats.Mean.All(m => Math.Abs(m) < 1e-3) && normStats.Std.All(s => Math.Abs(s - 1) < 1e-3);
        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        return new FigureOutcome(claim,
            "every augmented image is the raw one shifted by at most 4 pixels (zero fill) and maybe mirrored; the draw is per sample; the same seed repeats it exactly; all off is the identity; normalized data have mean 0 and std 1 per channel",
            new (string, string, string?)[]
            {
                ("per-channel mean / std of the raw training set", $"{string.Join("/", mean.Select(F))} / {string.Join("/", std.Select(F))}", "CIFAR-10: 0.491/0.482/0.447 / 0.247/0.243/0.262"),
                ("normalized training set mean / std", $"{string.Join("/", normStats.Mean.Select(F))} / {string.Join("/", normStats.Std.Select(F))}", "0 / 1"),
                ("augmented copies explained by a shift in [-4, 4]^2 (+ flip)", $"{matched} of {copies}", "all"),
                ("distinct augmented copies of one image / distinct (dx, dy, flip)", $"{distinctCopies} / {distinctOffsets} of {copies}", "per sample: many (81 x 2 possible)"),
                ("max |difference|, same seed twice", F(sameSeedDiff), "0 (seeded)"),
                ("max |difference|, another seed", F(otherSeedDiff), "> 0"),
                ("max |difference|, everything off (and pad 0, p 0)", $"{F(identityDiff)} ({F(zeroPadDiff)})", "0 (identity)"),
            },
            // "Per sample" is told apart from "one draw per batch" only with enough copies of one image.
            new[] { Precondition.AtLeast("augmented copies of one image", copies, 16) });
    }

    private static IReadOnlyList<float[,,]> ToArrays(Tensor batch)
    {
        using var scope = NewDisposeScope();
        var x = batch.to(ScalarType.Float32).cpu().contiguous();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var data = x.data<float>().ToArray();
        var result = new List<float[,,]>();
        for (long k = 0; k < n; k++)
        {
            var img = new float[c, h, w];
            for (long ch = 0; ch < c; ch++)
                for (long i = 0; i < h; i++)
                    for (long j = 0; j < w; j++)
                        img[ch, i, j] = data[((k * c + ch) * h + i) * w + j];
            result.Add(img);
        }
        return result;
    }

    private static string Key(float[,,] img) => Convert.ToBase64String(img.Cast<float>().SelectMany(BitConverter.GetBytes).ToArray());

    /// <summary>
    /// The (dx, dy, mirrored) with out[c, i, j] = src[c, i - dy, j' - dx] (zero outside), j' = j or W-1-j when mirrored,
    /// that reproduces <paramref name="augmented"/> exactly from <paramref name="source"/>, or null.
    /// </summary>
    private static (int Dx, int Dy, bool Mirrored)? FindShift(float[,,] source, float[,,] augmented, int pad)
    {
        int c = source.GetLength(0), h = source.GetLength(1), w = source.GetLength(2);
        foreach (var mirrored in new[] { false, true })
            for (int dy = -pad; dy <= pad; dy++)
                for (int dx = -pad; dx <= pad; dx++)
                {
                    bool ok = true;
                    for (int ch = 0; ch < c && ok; ch++)
                        for (int i = 0; i < h && ok; i++)
                            for (int j = 0; j < w && ok; j++)
                            {
                                // Shift first, then flip: out[i, j] = shifted[i, W-1-j] when mirrored.
                                int jj = mirrored ? w - 1 - j : j;
                                int si = i - dy, sj = jj - dx;
                                float expected = si >= 0 && si < h && sj >= 0 && sj < w ? source[ch, si, sj] : 0f;
                                ok = expected == augmented[ch, i, j];
                            }
                    if (ok) return (dx, dy, mirrored);
                }
        return null;
    }

    /// <summary>Per-channel mean and std of the normalized inputs, accumulated in float64 chunk by chunk (memory bounded by a chunk).</summary>
    private static (double[] Mean, double[] Std) NormalizedStatistics(Tensor inputs, Preprocessor normalize)
    {
        long c = inputs.shape[1];
        var sum = new double[c];
        var sumSq = new double[c];
        double m = 0;
        const long chunk = 5000;
        for (long s = 0; s < inputs.shape[0]; s += chunk)
        {
            using var scope = NewDisposeScope();
            var z = normalize.Test(inputs.narrow(0, s, Math.Min(chunk, inputs.shape[0] - s)).to(ScalarType.Float64)).transpose(0, 1).reshape(c, -1);
            var s1 = z.sum(1).data<double>().ToArray();
            var s2 = z.square().sum(1).data<double>().ToArray();
            for (int k = 0; k < c; k++) { sum[k] += s1[k]; sumSq[k] += s2[k]; }
            m += z.shape[1];
        }
        var mean = sum.Select(v => v / m).ToArray();
        return (mean, sumSq.Select((v, k) => Math.Sqrt(Math.Max(0, v / m - mean[k] * mean[k]))).ToArray());
    }
}
