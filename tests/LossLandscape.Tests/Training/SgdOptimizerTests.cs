using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;
using static LossLandscape.Tests.Training.TrainingTestUtil;

namespace LossLandscape.Tests.Training;

public class SgdOptimizerTests
{
    private static void Gradient(nn.Module<Tensor, Tensor> m, LossLandscape.Data.Dataset d)
    {
        m.zero_grad();
        using var loss = nn.functional.cross_entropy(m.call(d.Inputs), d.Labels);
        loss.backward();
    }

    [Theory]
    [InlineData(0.0, 0.0, false, 0.0)]
    [InlineData(0.9, 0.0, false, 0.0)]
    [InlineData(0.9, 0.0, true, 0.0)]
    [InlineData(0.5, 0.3, false, 0.0)]
    [InlineData(0.0, 0.0, false, 0.05)]
    [InlineData(0.9, 0.1, false, 0.01)]
    [InlineData(0.8, 0.0, true, 0.02)]
    public void Step_MatchesTheSgdFormula_WithAChangingLearningRate(double momentum, double dampening, bool nesterov, double weightDecay)
    {
        // Independent reference: PyTorch's documented update, written out per parameter.
        using var data = Blobs(12);
        var o = Options();
        using var ours = Model(o);
        using var theirs = Model(o);
        BitEqual(ours, theirs).Should().BeTrue();
        using var sgd = new SgdOptimizer(ours, momentum, dampening, nesterov, weightDecay);
        var ps = theirs.parameters().ToArray();
        var buffers = new Tensor?[ps.Length];
        for (int step = 0; step < 5; step++)
        {
            double lr = 0.3 / (1 + step);
            Gradient(ours, data);
            Gradient(theirs, data);
            sgd.Step(lr);
            using (no_grad())
            {
                for (int i = 0; i < ps.Length; i++)
                {
                    var d = ps[i].grad!.add(ps[i], alpha: weightDecay);
                    if (momentum != 0)
                    {
                        buffers[i] = buffers[i] is null ? d.clone() : buffers[i]!.mul(momentum).add(d, alpha: 1 - dampening);
                        d = nesterov ? d.add(buffers[i]!, alpha: momentum) : buffers[i]!;
                    }
                    ps[i].add_(d, alpha: -lr);
                }
            }
            using var a = Flat(ours);
            using var b = Flat(theirs);
            a.allclose(b, rtol: 1e-13, atol: 1e-14).Should().BeTrue($"step {step}");
        }
    }

    [Fact]
    public void MomentumZero_IsPlainSgd_AndWeightDecayAddsLambdaW()
    {
        using var data = Blobs(12);
        var o = Options();
        using var m = Model(o);
        using var w0 = Flat(m);
        Gradient(m, data);
        using var g = cat(m.parameters().Select(p => p.grad!.reshape(-1)).ToArray(), 0);
        using (var sgd = new SgdOptimizer(m))
        {
            sgd.Step(0.25);
        }
        using var plain = Flat(m);
        plain.allclose(w0 - 0.25 * g, rtol: 0, atol: 1e-15).Should().BeTrue();

        using (no_grad())
        {
            int i = 0;
            foreach (var p in m.parameters())
            {
                p.copy_(w0.narrow(0, i, p.numel()).view(p.shape));
                i += (int)p.numel();
            }
        }
        using (var sgd = new SgdOptimizer(m, weightDecay: 0.1))
        {
            sgd.Step(0.25);
        }
        using var decayed = Flat(m);
        decayed.allclose(w0 - 0.25 * (g + 0.1 * w0), rtol: 0, atol: 1e-15).Should().BeTrue();
    }

    [Fact]
    public void Buffers_SaveAndLoad_RoundTrip()
    {
        using var data = Blobs(12);
        var o = Options();
        using var m = Model(o);
        using var sgd = new SgdOptimizer(m, momentum: 0.9);
        sgd.Buffers.Should().BeEmpty();
        Gradient(m, data);
        sgd.Step(0.1);
        var path = Path.Combine(TestUtil.TempDir(), "opt.safetensors");
        sgd.Save(path);
        using var other = new SgdOptimizer(m, momentum: 0.9);
        other.Load(path);
        other.Buffers.Keys.Should().BeEquivalentTo(sgd.Buffers.Keys);
        foreach (var (k, v) in sgd.Buffers) Same(other.Buffers[k], v).Should().BeTrue();
    }

    [Theory]
    [InlineData(-0.1, 0, false, 0, "Momentum -0.1")]
    [InlineData(0, 0, true, 0, "Nesterov momentum needs momentum > 0")]
    [InlineData(0.9, 0.1, true, 0, "dampening 0")]
    [InlineData(0, 0, false, -1, "Weight decay -1")]
    public void InvalidHyperParameters_AreRefused(double momentum, double dampening, bool nesterov, double wd, string message)
    {
        var act = () => SgdOptimizer.Validate(momentum, dampening, nesterov, wd);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*{message}*");
    }
}
