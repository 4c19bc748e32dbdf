using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Parameters;

public class ParameterSpaceTests
{
    [Fact]
    public void Blocks_HaveNamesShapesAndOffsetsInOrder()
    {
        using var m = TestUtil.TinyMlp(0, 4, 6, 3);
        var space = new ParameterSpace(m);
        space.Count.Should().Be(4 * 6 + 6 + 6 * 3 + 3);
        space.Blocks.Select(b => b.Name).Should().Equal("0.weight", "0.bias", "2.weight", "2.bias");
        space.Blocks.Select(b => b.Offset).Should().Equal(0, 24, 30, 48);
        space.Blocks[0].Shape.Should().Equal(6, 4);
        space.DType.Should().Be(ScalarType.Float64);
    }

    [Fact]
    public void SetOfGet_IsExact_AndSetWritesEveryElement()
    {
        using var m = TestUtil.TinyMlp(1);
        var space = new ParameterSpace(m);
        using var theta = space.Get();
        using var other = space.Randn();
        space.Set(other);
        TestUtil.ToArray(space.Get()).Should().Equal(TestUtil.ToArray(other));
        space.Set(theta);
        TestUtil.ToArray(space.Get()).Should().Equal(TestUtil.ToArray(theta));
        // The live weight matches the block of the flat vector.
        TestUtil.ToArray(m.get_parameter("2.bias")!).Should().Equal(TestUtil.ToArray(theta.narrow(0, 48, 3)));
    }

    [Fact]
    public void AxpyDotNorm_AgreeWithFloat64Reference()
    {
        manual_seed(3);
        using var x = randn(1000, dtype: ScalarType.Float32);
        using var y = randn(1000, dtype: ScalarType.Float32);
        var xs = TestUtil.ToArray(x);
        var ys = TestUtil.ToArray(y);
        double dot = xs.Zip(ys, (a, b) => a * b).Sum();
        double norm = Math.Sqrt(xs.Sum(a => a * a));
        ParameterSpace.Dot(x, y).Should().BeApproximately(dot, 1e-9 * Math.Abs(dot) + 1e-12);
        ParameterSpace.Norm(x).Should().BeApproximately(norm, 1e-12 * norm);
        using var z = ParameterSpace.Axpy(0.5, x, y);
        var zs = TestUtil.ToArray(z);
        for (int i = 0; i < zs.Length; i++) zs[i].Should().BeApproximately(ys[i] + 0.5 * xs[i], 1e-6);
    }

    [Fact]
    public void WorkingDotNorm_AgreeWithFloat64ReferenceToFloat32Rounding()
    {
        manual_seed(4);
        foreach (double shift in new[] { 0.0, 1.0 })   // shifted entries: a naive float32 sum would lose digits
        {
            using var x = randn(100_000, dtype: ScalarType.Float32).add_(shift);
            using var y = randn(100_000, dtype: ScalarType.Float32).add_(shift);
            var xs = TestUtil.ToArray(x);
            var ys = TestUtil.ToArray(y);
            double dot = xs.Zip(ys, (a, b) => a * b).Sum();
            double abs = xs.Zip(ys, (a, b) => Math.Abs(a * b)).Sum();
            double norm = Math.Sqrt(xs.Sum(a => a * a));
            const double eps = 1.1920929e-7;
            // Both are pairwise sums in float32: about eps of sum |x_i y_i| (of |x|), also on the shifted entries.
            ParameterSpace.WorkingDot(x, y).Should().BeApproximately(dot, 2 * eps * abs);
            ParameterSpace.WorkingNorm(x).Should().BeApproximately(norm, 2 * eps * norm);
        }
        // Products beyond float32's range fall back to float64.
        using var big = full(4, 1e20f, dtype: ScalarType.Float32);
        ParameterSpace.WorkingDot(big, big).Should().BeApproximately(4e40, 1e34);
        ParameterSpace.WorkingNorm(big).Should().BeApproximately(2e20, 1e14);
        // float64 vectors take the float64 path.
        using var x64 = randn(1000, dtype: ScalarType.Float64);
        using var y64 = randn(1000, dtype: ScalarType.Float64);
        ParameterSpace.WorkingDot(x64, y64).Should().Be(ParameterSpace.Dot(x64, y64));
        ParameterSpace.WorkingNorm(x64).Should().Be(ParameterSpace.Norm(x64));
    }

    [Fact]
    public void SetCombination_ComputesFromOriginDirectly()
    {
        using var m = TestUtil.TinyMlp(2);
        var space = new ParameterSpace(m);
        using var theta = space.Get();
        using var d1 = space.Randn();
        using var d2 = space.Randn();
        space.SetCombination(theta, (0.25, d1), (-2.0, d2));
        var expected = TestUtil.ToArray(theta).Select((t, i) => t + 0.25 * TestUtil.ToArray(d1)[i] - 2.0 * TestUtil.ToArray(d2)[i]).ToArray();
        var got = TestUtil.ToArray(space.Get());
        for (int i = 0; i < got.Length; i++) got[i].Should().BeApproximately(expected[i], 1e-14);
    }

    [Fact]
    public void Set_RejectsWrongLengthAndDtype_WithClearMessages()
    {
        using var m = TestUtil.TinyMlp(0);
        var space = new ParameterSpace(m);
        var wrongLength = () => space.Set(zeros(5, dtype: ScalarType.Float64));
        wrongLength.Should().Throw<LossLandscapeException>().WithMessage("*1-D vector of 51 elements*shape [5]*");
        var wrongDtype = () => space.Set(zeros(51, dtype: ScalarType.Float32));
        wrongDtype.Should().Throw<LossLandscapeException>().WithMessage("*dtype Float32*parameters are Float64*");
    }

    [Fact]
    public void Subset_SelectsOneLayer()
    {
        using var m = TestUtil.TinyMlp(0);
        var space = new ParameterSpace(m, name => name.StartsWith("2.", StringComparison.Ordinal));
        space.Count.Should().Be(21);
        var none = () => new ParameterSpace(m, name => name == "nope");
        none.Should().Throw<LossLandscapeException>().WithMessage("*No trainable parameter matches*0.weight*");
    }

    [Fact]
    public void Gradient_FlattensGradsInBlockOrder()
    {
        using var m = TestUtil.TinyMlp(4);
        var space = new ParameterSpace(m);
        using var x = randn(5, 4, dtype: ScalarType.Float64);
        m.call(x).pow(2).sum().backward();
        using var g = space.Gradient();
        g.shape.Should().Equal(space.Count);
        TestUtil.ToArray(g.narrow(0, 0, 24)).Should().Equal(TestUtil.ToArray(m.get_parameter("0.weight")!.grad!.reshape(-1)));
    }

    [Fact]
    public void Preserve_RestoresWeightsBuffersAndModes_AfterException()
    {
        manual_seed(5);
        using var net = nn.Sequential(("0", nn.Linear(3, 4)), ("1", nn.BatchNorm1d(4)), ("2", nn.ReLU()), ("3", nn.Linear(4, 2)));
        net.to(ScalarType.Float64);
        net.eval();
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var space = new ParameterSpace(net);
        var act = () =>
        {
            using var scope = space.Preserve();
            net.train();
            using (no_grad())
            {
                space.Set(space.Randn());
                net.call(randn(8, 3, dtype: ScalarType.Float64)); // updates BatchNorm running statistics
            }
            throw new InvalidOperationException("probe failed");
        };
        act.Should().Throw<InvalidOperationException>();
        net.training.Should().BeFalse();
        foreach (var (k, v) in net.state_dict())
        {
            var b = before[k];
            if (v.is_floating_point()) TestUtil.ToArray(v).Should().Equal(TestUtil.ToArray(b), k);
            else v.eq(b).all().item<bool>().Should().BeTrue(k);
        }
    }
}
