using System.Text.Json;
using LossLandscape.Figures;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Figures;

public class FigureNTests
{
    [Fact]
    public void FigureN_BarrierMatrixIsSymmetricWithZeroDiagonal_AndTheSweepCoversEveryWidth()
    {
        var (_, dir) = FigureSmoke.Run("N");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = doc.RootElement;
        var m = s.GetProperty("testErrorBarriers").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        m.Should().HaveCount(6);
        for (int i = 0; i < m.Length; i++)
        {
            m[i][i].Should().Be(0);
            for (int j = 0; j < m.Length; j++)
            {
                m[i][j].Should().Be(m[j][i]);
                m[i][j].Should().BeGreaterThanOrEqualTo(0, "the line's maximum is at least its end points");
            }
        }
        s.GetProperty("widthSweep").EnumerateArray().Select(w => w.GetProperty("width").GetInt32()).Should().Equal(2, 64);
        // Every solution learned something (test accuracy well above chance on 10 classes).
        foreach (var sol in s.GetProperty("solutions").EnumerateArray())
            sol.GetProperty("testAccuracy").GetDouble().Should().BeGreaterThan(0.4, sol.GetProperty("label").GetString());

        // After weight matching: a symmetric matrix with a zero diagonal, and the barrier between the two SGD seeds drops.
        using var al = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "alignment.json")));
        var a = al.RootElement;
        double[][] Rows(string name) => a.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var after = Rows("trainCeBarriersAligned");
        var before = Rows("trainCeBarriersBefore");
        for (int i = 0; i < after.Length; i++)
        {
            after[i][i].Should().Be(0);
            for (int j = 0; j < after.Length; j++) after[i][j].Should().Be(after[j][i]);
        }
        after[0][5].Should().BeLessThan(before[0][5], "aligning the second seed lowers the barrier between the seeds");
        a.GetProperty("widthSweep").GetArrayLength().Should().Be(2);
        File.Exists(Path.Combine(dir, "barrier-matrix-aligned.png")).Should().BeTrue();
        File.Exists(Path.Combine(dir, "barrier-vs-parameters-aligned.png")).Should().BeTrue();
    }

    [Fact]
    public void FoldNormalization_GivesTheSameOutputsOnRawInputs()
    {
        manual_seed(3);
        using var model = new LossLandscape.Models.Mlp(new[] { 12, 5, 3 });
        model.to(ScalarType.Float64);
        using var raw = rand(new long[] { 7, 3, 2, 2 }, dtype: ScalarType.Float64);
        var mean = new[] { 0.2, 0.5, 0.7 };
        var std = new[] { 0.3, 0.1, 2.0 };
        using var m = tensor(mean, dtype: ScalarType.Float64).view(1, 3, 1, 1);
        using var sd = tensor(std, dtype: ScalarType.Float64).view(1, 3, 1, 1);
        using var normalized = (raw - m) / sd;
        using var before = model.call(normalized);
        FigureN.FoldNormalization(model, mean, std, new long[] { 3, 2, 2 });
        using var after = model.call(raw);
        after.allclose(before, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
    }
}
