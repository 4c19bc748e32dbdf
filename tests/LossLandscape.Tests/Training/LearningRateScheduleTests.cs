using LossLandscape.Training;
using LossLandscape.Specs;

namespace LossLandscape.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void Constant_IsOne()
    {
        var s = ScheduleSpec.Parse("constant");
        s.Factor(0, 100).Should().Be(1);
        s.Factor(99, 100).Should().Be(1);
        s.Rate(0.5, 7, 100).Should().Be(0.5);
    }

    [Fact]
    public void MultiStep_MultipliesAtEachMilestone()
    {
        var s = ScheduleSpec.Parse("step:30000,40000:0.1");
        s.Factor(0, 50000).Should().Be(1);
        s.Factor(29999, 50000).Should().Be(1);
        s.Factor(30000, 50000).Should().BeApproximately(0.1, 1e-15);
        s.Factor(39999, 50000).Should().BeApproximately(0.1, 1e-15);
        s.Factor(40000, 50000).Should().BeApproximately(0.01, 1e-15);
        s.ToString().Should().Be("step:30000,40000:0.1");
    }

    [Fact]
    public void Cosine_GoesFromOneToTheMinimum()
    {
        var s = ScheduleSpec.Parse("cosine");
        s.Factor(0, 100).Should().Be(1);
        s.Factor(50, 100).Should().BeApproximately(0.5, 1e-15);
        s.Factor(25, 100).Should().BeApproximately(0.5 * (1 + Math.Cos(Math.PI / 4)), 1e-15);
        s.Factor(100, 100).Should().BeApproximately(0, 1e-15);
        var m = ScheduleSpec.Parse("cosine:0.1");
        m.Factor(100, 100).Should().BeApproximately(0.1, 1e-15);
        m.Factor(50, 100).Should().BeApproximately(0.55, 1e-15);
    }

    [Fact]
    public void Linear_DecaysLinearly()
    {
        var s = ScheduleSpec.Parse("linear");
        s.Factor(25, 100).Should().BeApproximately(0.75, 1e-15);
        s.Factor(100, 100).Should().Be(0);
    }

    [Fact]
    public void Warmup_RampsLinearlyThenFollowsTheInnerSchedule()
    {
        var s = ScheduleSpec.Parse("warmup:4+step:10:0.5");
        s.Factor(0, 20).Should().Be(0.25);
        s.Factor(1, 20).Should().Be(0.5);
        s.Factor(3, 20).Should().Be(1);
        s.Factor(9, 20).Should().Be(1);
        s.Factor(10, 20).Should().Be(0.5);
        s.ToString().Should().Be("warmup:4+step:10:0.5");
        var c = ScheduleSpec.Parse("WARMUP:500+cosine");
        c.Factor(249, 1000).Should().BeApproximately(0.5 * 0.5 * (1 + Math.Cos(Math.PI * 249 / 1000)), 1e-15);
        ScheduleSpec.Parse("warmup:10").Factor(20, 100).Should().Be(1);
    }

    [Theory]
    [InlineData("exp", "unknown schedule")]
    [InlineData("step:0:0.1", "milestone '0'")]
    [InlineData("step:10:-1", "factor '-1'")]
    [InlineData("cosine:2", "minimum factor '2'")]
    [InlineData("warmup:x+cosine", "warm-up length 'x'")]
    [InlineData("warmup:5+warmup:5", "only one warm-up")]
    public void Malformed_SaysWhatIsAccepted(string text, string why)
    {
        var act = () => ScheduleSpec.Parse(text);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*{why}*Accepted:*step:30000,40000:0.1*warmup:500+cosine*");
    }
}
