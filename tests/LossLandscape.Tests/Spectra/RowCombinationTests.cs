using FluentAssertions;
using LossLandscape.Spectra;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Spectra;

/// <summary>The in-place SIMD combination of basis rows that the thick restart uses, against libtorch's product in float64.</summary>
public class RowCombinationTests
{
    public static IEnumerable<object[]> Shapes()
    {
        // (rows, columns, first input, inputs, outputs as rows): outputs over the inputs themselves (the restart), outside
        // them, a single output, a partial last group of 8 outputs, more than one group; columns below one tile, exactly
        // tiles, tiles plus a tail, and enough for the columns to be split between workers.
        yield return new object[] { 6, 5L, 1, 4, new[] { 1, 2, 5 } };
        yield return new object[] { 12, 32L, 0, 11, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 11 } };
        yield return new object[] { 12, 33L, 2, 9, new[] { 2 } };
        yield return new object[] { 30, 1000L, 3, 20, Enumerable.Range(3, 17).Append(29).ToArray() };
        yield return new object[] { 43, 70_001L, 0, 40, Enumerable.Range(0, 26).Append(42).ToArray() };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryCombine_WritesCTimesTheInputRowsIntoTheOutputRows_InPlace(int rows, long n, int first, int inputs, int[] outputs)
    {
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            using var scope = NewDisposeScope();
            var g = new Generator(17);
            var q = randn(new long[] { rows, n }, dtype: ScalarType.Float64, generator: g).to(dtype);
            int r = outputs.Length;
            var c = randn(new long[] { r, inputs }, dtype: ScalarType.Float64, generator: g);
            var coefficients = c.data<double>().ToArray();
            // The reference in float64 from the same (rounded) inputs; rows that are not outputs must stay as they were.
            var before = q.to(ScalarType.Float64);
            var expected = c.mm(before.narrow(0, first, inputs));

            RowCombination.TryCombine(q, first, inputs, coefficients, outputs).Should().BeTrue($"a contiguous CPU {dtype} matrix");

            var after = q.to(ScalarType.Float64);
            // A sum of `inputs` products of Gaussians: rounding of about eps sqrt(inputs) times the sum of |terms|.
            double eps = dtype == ScalarType.Float64 ? 2.2e-16 : 1.2e-7;
            var bound = c.abs().mm(before.narrow(0, first, inputs).abs()).mul_(4 * eps * inputs);
            for (int a = 0; a < r; a++)
            {
                var error = after[outputs[a]].sub(expected[a]).abs();
                error.le(bound[a]).all().item<bool>().Should().BeTrue($"output {a} ({dtype}, n = {n}): largest error {error.max().item<double>():G3}");
            }
            for (int i = 0; i < rows; i++)
                if (!outputs.Contains(i))
                    after[i].eq(before[i]).all().item<bool>().Should().BeTrue($"row {i} is no output and stays as it was");
        }
    }

    [Theory]
    [InlineData(1, 7L)]
    [InlineData(5, 33L)]
    [InlineData(8, 512L)]
    [InlineData(13, 1_000L)]
    [InlineData(42, 70_003L)]
    public void TryGram_IsTheGramMatrixOfTheFirstRows_ToAFewEpsOfTheDtype(int rows, long n)
    {
        // Rows of unit norm with overlaps of up to 1e-3 (a semi-orthogonal basis) and shifted entries, where a float32
        // sum in sequence would err by far more; one row more in the matrix than asked for, which must not count.
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            using var scope = NewDisposeScope();
            var g = new Generator(23);
            var basis = linalg.qr(randn(new long[] { n, rows + 1 }, dtype: ScalarType.Float64, generator: g)).Q.t();
            var x = basis.add(randn(new long[] { rows + 1, n }, dtype: ScalarType.Float64, generator: g).mul_(1e-3 / Math.Sqrt(n))).add_(0.01);
            x.div_(x.norm(1, keepdim: true));
            var q = x.to(dtype).contiguous();
            var exact = q.to(ScalarType.Float64).narrow(0, 0, rows);
            // The reference by Torch's cascade sums in float64 (a product by BLAS errs by about as much as the loop).
            var expected = stack(Enumerable.Range(0, rows).Select(i => exact.mul(exact[i]).sum(1)).ToArray());

            var gram = RowCombination.TryGram(q, rows);

            gram.Should().NotBeNull($"a contiguous CPU {dtype} matrix");
            gram!.GetLength(0).Should().Be(rows);
            double eps = dtype == ScalarType.Float64 ? 2.2e-16 : 1.2e-7;
            double worst = 0;
            for (int i = 0; i < rows; i++)
                for (int k = 0; k < rows; k++)
                {
                    gram[i, k].Should().Be(gram[k, i], "symmetric");
                    worst = Math.Max(worst, Math.Abs(gram[i, k] - expected[i, k].item<double>()));
                }
            worst.Should().BeLessThan(8 * eps, $"{dtype}, {rows} rows of {n}");
        }
    }

    [Fact]
    public void TryCombine_WhereItDoesNotApply_ReturnsFalse_AndWritesNothing()
    {
        using var scope = NewDisposeScope();
        var coefficients = new[] { 1.0, 2.0 };
        // Not contiguous (a transposed view), another dtype, a thread that asked for the fallback.
        var wide = randn(3, 8, dtype: ScalarType.Float64);
        var t = wide.t();
        var before = wide.clone();
        RowCombination.TryCombine(t, 0, 2, coefficients, new[] { 0 }).Should().BeFalse();
        wide.eq(before).all().item<bool>().Should().BeTrue();
        var half = randn(3, 8).to(ScalarType.Float16);
        RowCombination.TryCombine(half, 0, 2, coefficients, new[] { 0 }).Should().BeFalse();
        RowCombination.TryGram(t, 2).Should().BeNull();
        RowCombination.TryGram(half, 2).Should().BeNull();
        RowCombination.Disabled = true;
        try
        {
            RowCombination.TryCombine(wide, 0, 2, coefficients, new[] { 0 }).Should().BeFalse();
        }
        finally
        {
            RowCombination.Disabled = false;
        }
        wide.eq(before).all().item<bool>().Should().BeTrue();
    }
}
