using LossLandscape.Data;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Data;

public class DatasetTests
{
    private static readonly string[] Names3 = ["a", "b", "c"];

    /// <summary>P = 30 examples [P, 2] with x = (i, -i), labels i mod 3.</summary>
    private static Dataset Make(long p = 30)
    {
        var i = arange(p, dtype: ScalarType.Float64);
        return new Dataset("d", stack([i, i.neg()], 1), arange(p, dtype: ScalarType.Int64).remainder(3), Names3);
    }

    [Fact]
    public void Take_GivesTheFirstN()
    {
        using var d = Make();
        using var t = d.Take(7);
        TestUtil.ToArray(t.Inputs.select(1, 0)).Should().Equal(0, 1, 2, 3, 4, 5, 6);
        t.Labels.data<long>().ToArray().Should().Equal(0, 1, 2, 0, 1, 2, 0);
        FluentActions.Invoking(() => d.Take(31)).Should().Throw<LossLandscapeException>().WithMessage("*subset of 31 examples is not possible*[0, 30]*");
    }

    [Fact]
    public void RandomSubset_IsSeededDistinctAndOrdered()
    {
        using var d = Make();
        using var a = d.RandomSubset(10, seed: 5);
        using var b = d.RandomSubset(10, seed: 5);
        using var c = d.RandomSubset(10, seed: 6);
        var ia = TestUtil.ToArray(a.Inputs.select(1, 0));
        ia.Should().Equal(TestUtil.ToArray(b.Inputs.select(1, 0)));
        ia.Should().NotEqual(TestUtil.ToArray(c.Inputs.select(1, 0)));
        ia.Should().OnlyHaveUniqueItems().And.BeInAscendingOrder();
        // Inputs and labels stay paired.
        a.Labels.data<long>().ToArray().Should().Equal(ia.Select(v => (long)v % 3));
    }

    [Fact]
    public void BalancedSubset_HasEqualClassCounts()
    {
        using var d = Make();
        using var s = d.BalancedSubset(11, seed: 1);
        s.ClassHistogram().Should().Equal(4, 4, 3);
        TestUtil.ToArray(s.Inputs.select(1, 0)).Should().OnlyHaveUniqueItems();
        FluentActions.Invoking(() => d.BalancedSubset(30, 0)).Should().NotThrow();
        using var skewed = new Dataset("s", zeros(5, 2), tensor(new long[] { 0, 0, 0, 0, 1 }), ["x", "y"]);
        FluentActions.Invoking(() => skewed.BalancedSubset(4, 0)).Should().Throw<LossLandscapeException>().WithMessage("*class 1 (y) has 1 examples, fewer than the 2*at most 2*");
    }

    [Fact]
    public void WithCorruptedLabels_RedrawsAFractionSeeded()
    {
        using var d = Make(1000);
        using var c1 = d.WithCorruptedLabels(0.3, seed: 2);
        using var c2 = d.WithCorruptedLabels(0.3, seed: 2);
        c1.Labels.data<long>().ToArray().Should().Equal(c2.Labels.data<long>().ToArray());
        long changed = c1.Labels.ne(d.Labels).sum().item<long>();
        // m = 300 labels redrawn uniformly over 3 classes: about 200 change; at most 300.
        changed.Should().BeLessThanOrEqualTo(300).And.BeGreaterThan(150);
        c1.Labels.max().item<long>().Should().BeLessThan(3);
        TestUtil.ToArray(c1.Inputs).Should().Equal(TestUtil.ToArray(d.Inputs));
        using var none = d.WithCorruptedLabels(0, seed: 2);
        none.Labels.ne(d.Labels).sum().item<long>().Should().Be(0);
        FluentActions.Invoking(() => d.WithCorruptedLabels(1.5, 0)).Should().Throw<LossLandscapeException>().WithMessage("*fraction 1.5*[0, 1]*");
    }

    [Fact]
    public void To_ChangesDtypeKeepsLabels()
    {
        using var d = Make();
        using var f = d.To(CPU, ScalarType.Float32);
        f.Inputs.dtype.Should().Be(ScalarType.Float32);
        f.Labels.dtype.Should().Be(ScalarType.Int64);
        TestUtil.ToArray(f.Inputs).Should().Equal(TestUtil.ToArray(d.Inputs));
        FluentActions.Invoking(() => d.To(CPU, ScalarType.Int32)).Should().Throw<LossLandscapeException>();
    }

    [Fact]
    public void Select_ChecksIndices()
    {
        using var d = Make();
        using var idx = tensor(new long[] { 3, 30 });
        FluentActions.Invoking(() => d.Select(idx)).Should().Throw<LossLandscapeException>().WithMessage("*index 30 is outside [0, 30)*");
    }
}

public class DigitsDataTests
{
    [Fact]
    public void Load_GivesTheUciDigits()
    {
        using var all = DigitsData.LoadAll();
        all.Inputs.shape.Should().Equal(1797, 1, 8, 8);
        all.NumClasses.Should().Be(10);
        all.ClassHistogram().Sum().Should().Be(1797);
        all.ClassHistogram().Should().OnlyContain(c => c >= 170 && c <= 190);
        all.Inputs.min().item<float>().Should().Be(0f);
        all.Inputs.max().item<float>().Should().Be(1f);
        // First row of digits.csv: 0,0,5,13,9,1,0,0, ... label 0.
        TestUtil.ToArray(all.Inputs[0, 0, 0]).Should().Equal(new[] { 0, 0, 5, 13, 9, 1, 0, 0 }.Select(v => v / 16.0));
        all.Labels[0].item<long>().Should().Be(0);
        using var split = DigitsData.Load();
        split.Train.Count.Should().Be(1500);
        split.Test.Count.Should().Be(297);
        TestUtil.ToArray(split.Test.Inputs[0]).Should().Equal(TestUtil.ToArray(all.Inputs[1500]));
    }

    [Fact]
    public void LicenseFileIsInTheRepository()
    {
        var text = File.ReadAllText(Path.Combine(TestUtil.RepoRoot(), "src", "LossLandscape", "Resources", "DIGITS-LICENSE.txt"));
        text.Should().Contain("CC BY 4.0").And.Contain("Alpaydin").And.Contain("Kaynak").And.Contain("UCI");
    }
}

public class SyntheticDataTests
{
    [Fact]
    public void Blobs_AreSeededWithTheAskedShape()
    {
        using var a = SyntheticData.Create("synthetic:blobs:k=4,d=3,n=200,ntest=50,seed=7");
        using var b = SyntheticData.Create("synthetic:blobs:k=4,d=3,n=200,ntest=50,seed=7");
        a.Train.Inputs.shape.Should().Equal(200, 3);
        a.Test.Inputs.shape.Should().Equal(50, 3);
        a.Train.NumClasses.Should().Be(4);
        TestUtil.ToArray(a.Train.Inputs).Should().Equal(TestUtil.ToArray(b.Train.Inputs));
        a.Train.ClassHistogram().Should().OnlyContain(c => c > 20);
    }

    [Fact]
    public void Blobs_ClassMeansAreSeparatedBySep()
    {
        // With sep = 0 every class has mean 0; with sep = 10 the class means are far apart.
        using var far = SyntheticData.Create("synthetic:blobs:k=2,d=2,n=2000,sep=10,seed=1");
        var x = far.Train.Inputs.to(ScalarType.Float64);
        var m0 = x.index_select(0, far.Train.Labels.eq(0).nonzero().view(-1)).mean(new long[] { 0 });
        var m1 = x.index_select(0, far.Train.Labels.eq(1).nonzero().view(-1)).mean(new long[] { 0 });
        m0.sub(m1).norm().item<double>().Should().BeGreaterThan(3);
        // Within-class spread is the unit covariance.
        var within = x.index_select(0, far.Train.Labels.eq(0).nonzero().view(-1)).sub(m0).square().mean().item<double>();
        within.Should().BeApproximately(1.0, 0.1);
    }

    [Fact]
    public void MeanField_HasClassScales1PlusMinusDelta()
    {
        using var s = SyntheticData.Create("synthetic:meanfield:d=40,delta=0.5,n=4000,seed=3");
        s.Train.Inputs.shape.Should().Equal(4000, 40);
        s.ClassNames.Should().Equal("-1", "+1");
        var x = s.Train.Inputs.to(ScalarType.Float64);
        double VarOf(long label) => x.index_select(0, s.Train.Labels.eq(label).nonzero().view(-1)).square().mean().item<double>();
        VarOf(1).Should().BeApproximately(1.5 * 1.5, 0.05);
        VarOf(0).Should().BeApproximately(0.5 * 0.5, 0.01);
        ((double)s.Train.ClassHistogram()[1] / 4000).Should().BeApproximately(0.5, 0.04);
    }

    [Fact]
    public void Teacher_LabelsComeFromAFixedFunctionOfX()
    {
        using var s = SyntheticData.Create("synthetic:teacher:d=5,k=3,h=8,n=500,ntest=500,seed=4");
        s.Train.Inputs.shape.Should().Equal(500, 5);
        s.Train.ClassHistogram().Count(c => c > 0).Should().BeGreaterThanOrEqualTo(2);
        // The labels depend only on x: a positively rescaled x (ReLU net without biases) keeps its label.
        using var again = SyntheticData.Create("synthetic:teacher:d=5,k=3,h=8,n=500,ntest=500,seed=4");
        again.Test.Labels.data<long>().ToArray().Should().Equal(s.Test.Labels.data<long>().ToArray());
    }

    [Theory]
    [InlineData("synthetic:spiral", "kind 'spiral' is unknown")]
    [InlineData("synthetic:blobs:k=1", "'k' (classes) must be at least 2")]
    [InlineData("synthetic:blobs:q=1", "'q' is not a parameter of blobs")]
    [InlineData("synthetic:meanfield:delta=1.2", "'delta' must be in ?0, 1)")]
    [InlineData("synthetic:blobs:n=abc", "value 'abc' of 'n' is not a number")]
    [InlineData("synthetic:blobs:n", "'n' is not key=value")]
    [InlineData("synthetic:teacher:d=2.5", "'d' must be a whole number")]
    public void BadSpecs_SayWhatIsAccepted(string spec, string why)
    {
        FluentActions.Invoking(() => SyntheticData.Create(spec)).Should().Throw<LossLandscapeException>()
            .WithMessage($"*{why}*Accepted: synthetic:blobs*synthetic:teacher*synthetic:meanfield*");
    }
}
