using System.Text.Json;
using LossLandscape.Figures;

namespace LossLandscape.Tests.Figures;

public class FigurePTests
{
    [Fact]
    public void FigureP_BothSurfacesRiseFromTheTrainedCenter()
    {
        var (_, dir) = FigureSmoke.Run("P");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var surfaces = doc.RootElement.GetProperty("surfaces").EnumerateArray().ToList();
        surfaces.Select(s => s.GetProperty("model").GetString()).Should().Equal("resnet8", "resnet8-noshort");
        foreach (var s in surfaces)
            s.GetProperty("edgeRise").GetDouble().Should().BeGreaterThan(0, "a filter-normalized step of size 1 away from the trained weights raises the loss");
        File.Exists(Path.Combine(dir, "surface-resnet8.png")).Should().BeTrue();
        File.Exists(Path.Combine(dir, "grid-resnet8.json")).Should().BeTrue("the grid is kept as a resumable shard");
        File.Exists(Path.Combine(dir, "surface-resnet8_noshort.png")).Should().BeTrue();
        File.ReadAllLines(Path.Combine(dir, "surface-resnet8_noshort.csv")).Should().HaveCount(1 + 5 * 5);
    }

    [Fact]
    public void Proxies_OfABowlAndASaddle()
    {
        double[][] Grid(Func<double, double, double> f) =>
            Enumerable.Range(0, 5).Select(j => Enumerable.Range(0, 5).Select(i => f(-1 + 0.5 * i, -1 + 0.5 * j)).ToArray()).ToArray();
        var (center, rise, nonConvex) = FigureP.Proxies(Grid((x, y) => x * x + y * y));
        center.Should().Be(0);
        // Boundary of the 5x5 grid on [-1, 1]^2: 16 points, sum of x^2 + y^2 = 22.
        rise.Should().BeApproximately(22.0 / 16, 1e-12);
        nonConvex.Should().Be(0);
        FigureP.Proxies(Grid((x, y) => x * x - y * y)).NonConvexFraction.Should().Be(1);
    }
}
