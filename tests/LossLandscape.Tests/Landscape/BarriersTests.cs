using FluentAssertions;
using LossLandscape.Landscape;
using Xunit;

namespace LossLandscape.Tests.Landscape;

public class BarriersTests
{
    [Fact]
    public void BothDefinitionsMeasureTheRiseAboveTheEnds()
    {
        var v = new[] { 0.2, 0.9, 1.5, 0.7, 0.6 };
        Barriers.AboveHigherEnd(v).Should().BeApproximately(1.5 - 0.6, 1e-15);
        Barriers.AboveMeanOfEnds(v).Should().BeApproximately(1.5 - 0.4, 1e-15);
    }

    [Fact]
    public void AConvexLineHasNoBarrierAboveTheHigherEnd()
    {
        var v = new[] { 1.0, 0.5, 0.3, 0.4, 0.8 };
        Barriers.AboveHigherEnd(v).Should().Be(0.0);
        Barriers.AboveMeanOfEnds(v).Should().BeApproximately(0.1, 1e-15);
    }

    [Fact]
    public void FewerThanTwoValuesAreRefusedWithTheCount()
    {
        var act = () => Barriers.AboveHigherEnd(new[] { 1.0 });
        act.Should().Throw<ArgumentException>().WithMessage("*both end points*got 1 value(s)*");
    }
}
