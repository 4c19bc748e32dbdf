using LossLandscape.Data;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Data;

public class PreprocessorTests
{
    /// <summary>N images [N, C, H, W] in float64 with values in [0.1, 1], all distinct.</summary>
    private static Tensor Images(long n, long c = 3, long h = 6, long w = 7, int seed = 0)
    {
        var g = new Generator((ulong)seed);
        return rand(new[] { n, c, h, w }, generator: g, dtype: ScalarType.Float64).mul_(0.9).add_(0.1);
    }

    /// <summary>x shifted by (dy, dx) with zero fill: out[i, j] = x[i - dy, j - dx].</summary>
    private static Tensor Shifted(Tensor x, int dy, int dx)
    {
        long h = x.shape[^2], w = x.shape[^1];
        var o = zeros_like(x);
        long r0 = Math.Max(0, dy), r1 = Math.Min(h, h + dy), c0 = Math.Max(0, dx), c1 = Math.Min(w, w + dx);
        if (r1 > r0 && c1 > c0)
            o[TensorIndex.Ellipsis, TensorIndex.Slice(r0, r1), TensorIndex.Slice(c0, c1)] =
                x[TensorIndex.Ellipsis, TensorIndex.Slice(r0 - dy, r1 - dy), TensorIndex.Slice(c0 - dx, c1 - dx)];
        return o;
    }

    [Fact]
    public void Off_IsTheIdentity()
    {
        using var x = Images(5);
        using var p = new Preprocessor(Preprocessing.None, seed: 1);
        TestUtil.ToArray(p.Train(x)).Should().Equal(TestUtil.ToArray(x));
        TestUtil.ToArray(p.Test(x)).Should().Equal(TestUtil.ToArray(x));
    }

    [Fact]
    public void Shift_KeepsContentUpToTranslationAndZeroFill()
    {
        using var x = Images(40);
        using var g = new Generator(11);
        using var y = Preprocessor.ShiftBatch(x, 2, g);
        y.shape.Should().Equal(x.shape);
        var offsets = new HashSet<(int, int)>();
        for (int n = 0; n < 40; n++)
        {
            var matches = new List<(int, int)>();
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++)
                    if (y[n].allclose(Shifted(x[n], dy, dx), rtol: 0, atol: 0)) matches.Add((dy, dx));
            matches.Should().HaveCount(1, $"sample {n} must be its input shifted by one offset in [-2, 2]^2 with zero fill");
            offsets.Add(matches[0]);
        }
        offsets.Count.Should().BeGreaterThan(5, "offsets are drawn per sample");
    }

    [Fact]
    public void Flip_TwiceIsTheIdentity_AndFlipsPerSample()
    {
        using var x = Images(64);
        using var g = new Generator(5);
        using var once = Preprocessor.FlipBatch(x, 1.0, g);
        using var twice = Preprocessor.FlipBatch(once, 1.0, g);
        TestUtil.ToArray(twice).Should().Equal(TestUtil.ToArray(x));
        TestUtil.ToArray(once).Should().Equal(TestUtil.ToArray(x.flip(3)));
        using var half = Preprocessor.FlipBatch(x, 0.5, g);
        int flipped = 0, kept = 0;
        for (int n = 0; n < 64; n++)
        {
            if (half[n].allclose(x[n].flip(2), rtol: 0, atol: 0)) flipped++;
            else if (half[n].allclose(x[n], rtol: 0, atol: 0)) kept++;
        }
        (flipped + kept).Should().Be(64);
        flipped.Should().BeInRange(16, 48);
    }

    [Fact]
    public void SamplesInABatch_AreTransformedIndependently()
    {
        using var one = Images(1);
        using var x = one.expand(32, -1, -1, -1).contiguous();
        using var p = new Preprocessor(new Preprocessing(Shift: true, Flip: true), seed: 2);
        using var y = p.Train(x);
        var distinct = Enumerable.Range(0, 32).Select(n => string.Join(",", TestUtil.ToArray(y[n]).Select(v => v.ToString("R")))).Distinct().Count();
        distinct.Should().BeGreaterThan(10);
    }

    [Fact]
    public void SameSeed_GivesTheSameBatch_NextBatchDiffers()
    {
        using var x = Images(16);
        using var p1 = new Preprocessor(new Preprocessing(Shift: true, Flip: true), seed: 9);
        using var p2 = new Preprocessor(new Preprocessing(Shift: true, Flip: true), seed: 9);
        var a = TestUtil.ToArray(p1.Train(x));
        a.Should().Equal(TestUtil.ToArray(p2.Train(x)));
        TestUtil.ToArray(p1.Train(x)).Should().NotEqual(a);
    }

    [Fact]
    public void Normalize_UsesTrainingStatistics_TestIsOnlyNormalized()
    {
        using var train = Images(50, c: 3, seed: 3).mul(tensor(new[] { 1.0, 2.0, 3.0 }, dtype: ScalarType.Float64).view(1, 3, 1, 1));
        using var p = new Preprocessor(Preprocessing.Standard with { Shift = false, Flip = false }, 0, train);
        using var z = p.Test(train);
        var perChannel = z.transpose(0, 1).reshape(3, -1);
        TestUtil.ToArray(perChannel.mean(new long[] { 1 })).Should().AllSatisfy(m => m.Should().BeApproximately(0, 1e-10));
        TestUtil.ToArray(perChannel.std(1, unbiased: false)).Should().AllSatisfy(s => s.Should().BeApproximately(1, 1e-10));
        // Given statistics are used as given; with shift and flip on, test data is still only normalized.
        using var q = new Preprocessor(Preprocessing.Standard, 0, mean: [0.5, 0.25, 0.0], std: [2, 4, 1]);
        using var x = Images(4);
        var expected = x.sub(tensor(new[] { 0.5, 0.25, 0.0 }, dtype: ScalarType.Float64).view(1, 3, 1, 1)).div(tensor(new[] { 2.0, 4.0, 1.0 }, dtype: ScalarType.Float64).view(1, 3, 1, 1));
        q.Test(x).allclose(expected, rtol: 0, atol: 1e-15).Should().BeTrue();
    }

    [Fact]
    public void BadSetups_GiveClearErrors()
    {
        FluentActions.Invoking(() => new Preprocessor(new Preprocessing(Normalize: true))).Should().Throw<LossLandscapeException>().WithMessage("*neither the training inputs nor*");
        FluentActions.Invoking(() => new Preprocessor(new Preprocessing(Normalize: true), 0, mean: [0.0], std: [0.0])).Should().Throw<LossLandscapeException>().WithMessage("*std must be positive*");
        FluentActions.Invoking(() => new Preprocessor(new Preprocessing(Pad: -1))).Should().Throw<LossLandscapeException>().WithMessage("*padding -1*");
        using var p = new Preprocessor(new Preprocessing(Shift: true), 0);
        using var flat = zeros(4, 10);
        FluentActions.Invoking(() => p.Train(flat)).Should().Throw<LossLandscapeException>().WithMessage("*[N, C, H, W]*[4, 10]*");
        using var n = new Preprocessor(new Preprocessing(Normalize: true), 0, mean: [0.0, 0.0], std: [1.0, 1.0]);
        using var img = zeros(2, 3, 4, 4);
        FluentActions.Invoking(() => n.Test(img)).Should().Throw<LossLandscapeException>().WithMessage("*statistics for 2 channel(s)*");
    }
}
