using LossLandscape.Figures;

namespace LossLandscape.Tests.Figures;

public class PreconditionTests
{
    [Fact]
    public void Bounds_MeetAtTheLimit_AndNaNNeverMeets()
    {
        Precondition.AtMost("train loss", 0.5, 0.5).Met.Should().BeTrue();
        Precondition.AtMost("train loss", 0.51, 0.5).Met.Should().BeFalse();
        Precondition.AtMost("train loss", double.NaN, 0.5).Met.Should().BeFalse();
        Precondition.AtLeast("seeds", 3, 3).Met.Should().BeTrue();
        Precondition.AtLeast("seeds", 2, 3).Met.Should().BeFalse();
        Precondition.AtLeast("accuracy", double.NaN, 90).Met.Should().BeFalse();
        var p = Precondition.AtMost("train loss of resnet56-noshort", 2.18, 0.5);
        p.Requirement.Should().Be("train loss of resnet56-noshort <= 0.5");
        p.Observed.Should().Be("train loss of resnet56-noshort = 2.18");
        Precondition.AtLeast("test examples", 10000, 5000).Observed.Should().Be("test examples = 10000", "counts are written whole");
        Precondition.AtMost("train loss", 0.123456, 0.5).Observed.Should().Be("train loss = 0.1235");
    }

    [Fact]
    public void Comparable_IsARatioWithASmallAbsoluteSlack()
    {
        Precondition.Comparable("train loss", "a", 0.2, "b", 0.4).Met.Should().BeTrue("0.4 <= 2 x 0.2 + 0.02");
        Precondition.Comparable("train loss", "a", 0.2, "b", 0.43).Met.Should().BeFalse();
        Precondition.Comparable("train loss", "a", 0.001, "b", 0.015).Met.Should().BeTrue("two nearly zero losses compare");
        Precondition.Comparable("train loss", "a", 0.3, "b", 2.18).Met.Should().BeFalse("a trained and an untrained net do not compare");
        Precondition.Comparable("train loss", "a", double.NaN, "b", 0.1).Met.Should().BeFalse();
    }

    [Fact]
    public void Groups_NeedEveryMember_AndAnEmptyGroupFails()
    {
        var ok = Precondition.AllAtMost("train cost", new[] { ("GD", 0.05), ("SGD", 0.01) }, 0.1);
        ok.Met.Should().BeTrue();
        ok.Observed.Should().Be("train cost: GD 0.05, SGD 0.01");
        Precondition.AllAtMost("train cost", new[] { ("GD", 0.5), ("SGD", 0.01) }, 0.1).Met.Should().BeFalse();
        Precondition.AllAtLeast("accuracy", new[] { ("SB", 99.0), ("LB", 80.0) }, 95).Met.Should().BeFalse();
        Precondition.AllAtLeast("accuracy", Array.Empty<(string, double)>(), 95).Met.Should().BeFalse();
    }

    [Fact]
    public void Outcome_SaysHoldsOrDoesNotHoldOnlyWhenEveryPreconditionIsMet()
    {
        var met = new[] { Precondition.AtLeast("grid points per axis", 31, 31) };
        var failed = new[] { met[0], Precondition.AtMost("train loss", 2.18, 0.5) };
        var numbers = new (string, string, string?)[] { ("x", "1", null) };
        new FigureOutcome(true, "c", numbers, met).Status.Should().Be(ClaimStatus.Holds);
        new FigureOutcome(false, "c", numbers, met).Verdict.Should().Be("does not hold");
        var notEstablished = new FigureOutcome(true, "c", numbers, failed);
        notEstablished.Status.Should().Be(ClaimStatus.NotEstablished);
        notEstablished.Verdict.Should().Be("not established: train loss = 2.18 (needs train loss <= 0.5)");
        new FigureOutcome(false, "c", numbers, failed).Status.Should().Be(ClaimStatus.NotEstablished, "a failed precondition says nothing either way");
    }
}
