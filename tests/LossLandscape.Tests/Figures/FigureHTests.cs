using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureHTests
{
    [Fact]
    public void LargeBatchTopHessianEigenvalue_ExceedsSmallBatch()
    {
        var (outcome, dir) = FigureSmoke.Run("H");
        outcome.ClaimHolds.Should().BeTrue(string.Join("; ", outcome.Numbers.Select(n => $"{n.Name}: {n.Ours}")));
        var rows = File.ReadAllLines(Path.Combine(dir, "eigenvalues.csv")).Skip(1)
            .Select(l => l.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        rows.Should().HaveCount(14);
        // Descending by order, and the LB spectrum lies above the SB one at the top.
        for (int i = 1; i < rows.Count; i++)
        {
            rows[i][1].Should().BeLessThanOrEqualTo(rows[i - 1][1] * (1 + 1e-6));
            rows[i][2].Should().BeLessThanOrEqualTo(rows[i - 1][2] * (1 + 1e-6));
        }
        rows[0][2].Should().BeGreaterThan(rows[0][1]);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        int outliers = doc.RootElement.GetProperty("outliersSmallBatch").GetInt32();
        outliers.Should().BeInRange(1, 13, "a threshold below the top eigenvalue and above the smallest computed one");
    }
}
