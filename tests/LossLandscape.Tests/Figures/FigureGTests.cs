namespace LossLandscape.Tests.Figures;

public class FigureGTests
{
    [Fact]
    public void LargeBatchSolution_IsSharperThanSmallBatch()
    {
        var (outcome, dir) = FigureSmoke.Run("G");
        outcome.ClaimHolds.Should().BeTrue(string.Join("; ", outcome.Numbers.Select(n => $"{n.Name}: {n.Ours}")));
        var rows = File.ReadAllLines(Path.Combine(dir, "table.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        rows.Select(r => r[0]).Should().Equal("SB", "LB");
        double V(int row, int col) => double.Parse(rows[row][col], System.Globalization.CultureInfo.InvariantCulture);
        // Sharpness is non-negative, grows with the box (eps 1e-3 >= 5e-4) and LB > SB at both box sizes.
        for (int r = 0; r < 2; r++)
        {
            V(r, 7).Should().BeGreaterThanOrEqualTo(0);
            V(r, 6).Should().BeGreaterThanOrEqualTo(V(r, 7));
        }
        V(1, 6).Should().BeGreaterThan(V(0, 6));
        V(1, 7).Should().BeGreaterThan(V(0, 7));
        // Both runs fit the training subset well (similar training accuracy, as in Keskar et al.).
        V(0, 2).Should().BeGreaterThan(0.75);
        V(1, 2).Should().BeGreaterThan(0.75);
    }
}
