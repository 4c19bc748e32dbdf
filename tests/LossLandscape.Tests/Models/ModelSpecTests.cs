using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Specs;

namespace LossLandscape.Tests.Models;

public class ModelSpecTests
{
    [Fact]
    public void Mlp_ParsesWidthsAndActivation()
    {
        var s = ModelSpec.Parse("mlp:784-5-10:tanh");
        s.Family.Should().Be("mlp");
        s.Widths.Should().Equal(784, 5, 10);
        s.Activation.Should().Be(Activation.Tanh);
        using var m = ModelSpec.Parse("mlp:784-500-300-10").Create();
        new ParameterSpace(m).Count.Should().Be(784 * 500 + 500 + 500 * 300 + 300 + 300 * 10 + 10);
        m.state_dict().Keys.Should().Equal("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias");
    }

    [Theory]
    [InlineData("mlp:784", "at least an input and an output")]
    [InlineData("mlp:784-x-10", "width 'x'")]
    [InlineData("mlp:784-10:gelu", "activation 'gelu'")]
    [InlineData("vgg16", "unknown model family")]
    public void Malformed_SaysWhatIsAccepted(string spec, string why)
    {
        var act = () => ModelSpec.Parse(spec);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*{why}*Accepted:*mlp:784-500-300-10*");
    }
}
