using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Models;

public class ModelZooTests
{
    private static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    [Theory]
    [InlineData("resnet20", 269_722)]
    [InlineData("resnet56", 853_018)]
    [InlineData("resnet110", 1_727_962)]
    [InlineData("resnet56-noshort", 853_018)]
    [InlineData("alexnet-c1", 1_757_834)]
    [InlineData("alexnet-bare", 1_756_426)]
    [InlineData("meanfield:40x800", 32_800)]
    public void ParameterCount_MatchesThePaper(string spec, long expected)
    {
        using var m = ModelSpec.Parse(spec).Create();
        Count(m).Should().Be(expected);
    }

    [Fact]
    public void ResNet_CountFollowsTheClosedForm_ForEveryCommonDepth()
    {
        foreach (var depth in CifarResNet.CommonDepths)
        {
            int n = (depth - 2) / 6;
            // stem conv + BN; stage 1: n blocks of 2 (16x16x9 conv + BN); stages 2, 3: first block widens; classifier.
            long expected = 16 * 27 + 32
                + n * 2 * (16 * 16 * 9 + 32)
                + (16 * 32 * 9 + 32 * 32 * 9 + 128) + (n - 1) * 2 * (32 * 32 * 9 + 64)
                + (32 * 64 * 9 + 64 * 64 * 9 + 256) + (n - 1) * 2 * (64 * 64 * 9 + 128)
                + 64 * 10 + 10;
            using var m = new CifarResNet(depth);
            Count(m).Should().Be(expected, $"ResNet-{depth}");
        }
    }

    [Fact]
    public void ResNet20_RunsOnGrayscale28x28_AndOnCifarShapes()
    {
        manual_seed(0);
        using var m = ModelSpec.Parse("resnet20").Create(new long[] { 1, 28, 28 }, 10);
        Count(m).Should().Be(269_722 - 2 * 16 * 9);
        using var y = m.call(randn(2, 1, 28, 28));
        y.shape.Should().Equal(2, 10);
        using var m3 = ModelSpec.Parse("resnet20-noshort").Create();
        using var y3 = m3.call(randn(2, 3, 32, 32));
        y3.shape.Should().Equal(2, 10);
        m3.state_dict().Keys.Should().Contain(new[] { "conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer3.2.bn2.bias", "linear.weight" });
    }

    [Fact]
    public void OptionAShortcut_IsSubsampledInputPaddedWithZeroChannels()
    {
        manual_seed(1);
        using var block = new ResNetBasicBlock(16, 32, 2, shortcut: true);
        using (no_grad())
        {
            var bn2 = (TorchSharp.Modules.BatchNorm2d)block.named_modules().Single(m => m.name == "bn2").module;
            bn2.weight!.zero_();
            bn2.bias!.zero_();
        }
        using var x = rand(2, 16, 7, 7);
        using var y = block.call(x);
        y.shape.Should().Equal(2, 32, 4, 4);
        using var sub = x[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
        y[.., 8..24].allclose(sub).Should().BeTrue();
        y[.., ..8].abs().max().item<float>().Should().Be(0);
        y[.., 24..].abs().max().item<float>().Should().Be(0);

        using var plain = new ResNetBasicBlock(16, 32, 2, shortcut: false);
        plain.load_state_dict(block.state_dict());
        using var z = plain.call(x);
        z.abs().max().item<float>().Should().Be(0, "without the shortcut only the zeroed residual branch remains");
    }

    [Fact]
    public void AlexNet_BareHasNoBatchNormOrDropout_AndAdaptsToInputShape()
    {
        using var c1 = ModelSpec.Parse("alexnet-c1").Create(new long[] { 1, 28, 28 }, 10);
        using var bare = ModelSpec.Parse("alexnet-bare").Create();
        c1.modules().Count(m => m is TorchSharp.Modules.Dropout).Should().Be(2);
        c1.modules().Count(m => m is TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm1d).Should().Be(4);
        bare.modules().Count(m => m is TorchSharp.Modules.Dropout or TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm1d).Should().Be(0);
        Count(c1).Should().Be(1 * 64 * 25 + 64 + 128 + 102_464 + 128 + 3136 * 384 + 384 + 768 + 73_920 + 384 + 1930);
        c1.eval();
        using var y = c1.call(randn(2, 1, 28, 28));
        y.shape.Should().Equal(2, 10);
    }

    [Fact]
    public void MeanField_IsTheAverageOverNeurons()
    {
        manual_seed(3);
        using var m = ModelSpec.Parse("meanfield:5x7:tanh").Create();
        m.to(ScalarType.Float64);
        var ps = m.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        ps.Keys.Should().BeEquivalentTo("hidden.weight", "output.weight");
        using var x = randn(new long[] { 3, 5 }, dtype: ScalarType.Float64);
        using var y = m.call(x);
        y.shape.Should().Equal(3, 1);
        var w = TestUtil.ToArray(ps["hidden.weight"]);
        var a = TestUtil.ToArray(ps["output.weight"]);
        var xs = TestUtil.ToArray(x);
        var ys = TestUtil.ToArray(y);
        for (int p = 0; p < 3; p++)
        {
            double f = 0;
            for (int i = 0; i < 7; i++)
            {
                double dot = 0;
                for (int j = 0; j < 5; j++) dot += w[i * 5 + j] * xs[p * 5 + j];
                f += a[i] * Math.Tanh(dot);
            }
            ys[p].Should().BeApproximately(f / 7, 1e-12);
        }
    }

    [Theory]
    [InlineData("resnet21", "6n+2")]
    [InlineData("resnetx", "depth 'x'")]
    [InlineData("alexnet-c2", "unknown model family")]
    [InlineData("meanfield:40", "meanfield:DxN")]
    [InlineData("meanfield:40x0", "width '0'")]
    public void Malformed_SaysWhatIsAccepted(string spec, string why)
    {
        var act = () => ModelSpec.Parse(spec);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*{why}*Accepted:*resnet56-noshort*alexnet-bare*meanfield:40x800*");
    }

    [Fact]
    public void Create_RefusesShapesThatDoNotFit()
    {
        var mlp = () => ModelSpec.Parse("mlp:784-10").Create(new long[] { 3, 32, 32 }, 10);
        mlp.Should().Throw<LossLandscapeException>().WithMessage("*inputs of size 784*3x32x32*3072*");
        var classes = () => ModelSpec.Parse("mlp:784-10").Create(new long[] { 784 }, 5);
        classes.Should().Throw<LossLandscapeException>().WithMessage("*10 outputs*5 classes*");
        var flat = () => ModelSpec.Parse("resnet20").Create(new long[] { 784 }, 10);
        flat.Should().Throw<LossLandscapeException>().WithMessage("*C x H x W*");
        ModelSpec.ParseShape("1x28x28").Should().Equal(1, 28, 28);
        var bad = () => ModelSpec.ParseShape("1x-2");
        bad.Should().Throw<LossLandscapeException>().WithMessage("*3x32x32*");
    }

    [Fact]
    public void ParameterSpace_SeesEveryTrainableParameterOfResNet()
    {
        using var m = ModelSpec.Parse("resnet20").Create();
        new ParameterSpace(m).Count.Should().Be(269_722);
    }
}
