using System.Text.Json;

namespace LossLandscape.Tests.Figures;

public class FigureATests
{
    [Fact]
    public void FigureA_AugmentationIsPerSampleSeededAndIdentityWhenOff()
    {
        var (outcome, dir) = FigureSmoke.Run("A");
        outcome.ClaimHolds.Should().BeTrue(string.Join("; ", outcome.Numbers));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var root = json.RootElement;
        int copies = root.GetProperty("copies").GetInt32();
        root.GetProperty("copiesMatchedByAShift").GetInt32().Should().Be(copies, "every augmented copy is a shifted (maybe mirrored) raw image");
        root.GetProperty("distinctAugmentedCopies").GetInt32().Should().BeGreaterThan(copies / 2, "shift and flip are drawn per sample");
        root.GetProperty("sameSeedMaxDifference").GetDouble().Should().Be(0);
        root.GetProperty("otherSeedMaxDifference").GetDouble().Should().BeGreaterThan(0);
        root.GetProperty("identityMaxDifference").GetDouble().Should().Be(0);
        root.GetProperty("normalizedMean")[0].GetDouble().Should().BeApproximately(0, 1e-6);
        root.GetProperty("normalizedStd")[0].GetDouble().Should().BeApproximately(1, 1e-6);
        File.ReadAllLines(Path.Combine(dir, "offsets.csv")).Should().HaveCount(copies + 1);
    }
}
