using LossLandscape.Losses;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Losses;

public class LossFunctionDerivativeTests
{
    [Theory]
    [InlineData("ce", 4)]
    [InlineData("mse", 4)]
    [InlineData("mse", 1)]
    [InlineData("hinge", 4)]
    public void OutputGradientAndHessianProduct_MatchAutograd(string name, int classes)
    {
        using var scope = NewDisposeScope();
        manual_seed(30);
        var loss = LossSpec.Parse(name);
        var s = randn(6, classes, dtype: ScalarType.Float64).requires_grad_(true);
        var y = randint(0, Math.Max(classes, 2), new long[] { 6 }, dtype: ScalarType.Int64);
        var u = randn(6, classes, dtype: ScalarType.Float64);
        // Sum of per-sample losses: its gradient row i is dl_i/ds_i, its Hessian is block diagonal.
        var total = loss.PerSample(s, y).sum();
        var g = torch.autograd.grad(new[] { total }, new[] { s }, retain_graph: true, create_graph: true)[0];
        CurvatureRel(loss.OutputGradient(s.detach(), y), g.detach()).Should().BeLessThan(1e-12);
        if (name == "hinge")
        {
            loss.OutputHessianProduct(s.detach(), y, u).abs().max().item<double>().Should().Be(0);
            return;
        }
        var hu = torch.autograd.grad(new[] { (g * u).sum() }, new[] { s })[0];
        CurvatureRel(loss.OutputHessianProduct(s.detach(), y, u), hu).Should().BeLessThan(1e-12);
        loss.Mean(s.detach(), y).item<double>().Should().BeApproximately(loss.PerSample(s.detach(), y).mean().item<double>(), 1e-14);
    }

    private static double CurvatureRel(Tensor a, Tensor b) => (a - b).norm().item<double>() / Math.Max(b.norm().item<double>(), 1e-300);
}
