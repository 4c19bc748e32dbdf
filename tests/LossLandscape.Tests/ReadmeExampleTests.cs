using LossLandscape.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests;

public class ReadmeExampleTests
{
    private static string Normalize(IEnumerable<string> lines) =>
        string.Join("\n", lines.Select(l => l.Trim()).Where(l => l.Length > 0));

    /// <summary>The text of every README-BEGIN/README-END region of ReadmeExample.cs, in order.</summary>
    private static List<string> Compiled()
    {
        var src = File.ReadAllLines(Path.Combine(TestUtil.RepoRoot(), "tests", "LossLandscape.Tests", "ReadmeExample.cs"));
        var blocks = new List<string>();
        for (int i = 0; i < src.Length; i++)
        {
            if (!src[i].Contains("// README-BEGIN", StringComparison.Ordinal)) continue;
            int e = Array.FindIndex(src, i + 1, l => l.Contains("// README-END", StringComparison.Ordinal));
            blocks.Add(Normalize(src[(i + 1)..e]));
            i = e;
        }
        return blocks;
    }

    /// <summary>The text of every ```csharp block of the README, in order.</summary>
    private static List<string> Shown()
    {
        var readme = File.ReadAllLines(Path.Combine(TestUtil.RepoRoot(), "README.md"));
        var blocks = new List<string>();
        for (int i = 0; i < readme.Length; i++)
        {
            if (readme[i].Trim() != "```csharp") continue;
            int e = Array.FindIndex(readme, i + 1, l => l.Trim() == "```");
            blocks.Add(Normalize(readme[(i + 1)..e]));
            i = e;
        }
        return blocks;
    }

    [Fact]
    public void ReadmeCSharpExamples_AreTheCompiledOnes()
    {
        var compiled = Compiled();
        compiled.Should().HaveCount(7, "setup and the six everyday tasks");
        Shown().Should().Equal(compiled);
        compiled.Skip(1).Should().OnlyContain(b => b.Split('\n').Length <= 12, "each task takes about 10 lines");
    }

    [Fact]
    public void ReadmeCSharpExamples_Run_AndGiveTheRightNumbers()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = ReadmeExample.Setup();
        var (other, _, _) = ReadmeExample.Setup();
        using (no_grad()) foreach (var p in other.parameters()) p.add_(0.3);

        var top = ReadmeExample.TopEigenvalues(model, x, y);
        top.Should().HaveCount(5).And.BeInDescendingOrder();
        top[0].Should().BeGreaterThan(0);

        var trace = ReadmeExample.Trace(model, x, y);
        trace.Lower.Should().BeLessThan(trace.Upper);
        trace.Trace.Should().BeGreaterThan(top[0] * 0.5, "the trace of this near-PSD Hessian exceeds a fraction of its top eigenvalue");

        var line = ReadmeExample.Interpolate(model, other, x, y);
        line.Points.Should().HaveCount(31);
        line.Points[10].Alpha.Should().BeApproximately(0, 1e-12);
        line.Points[20].Alpha.Should().BeApproximately(1, 1e-12);

        var surface = ReadmeExample.Surface(model, x, y);
        surface.Losses[5][5].Should().BeApproximately(line.Points[10].Loss, 1e-10, "the plane's centre is the model itself");

        var (regressionTop, rx) = ReadmeExample.RegressionHessian();
        double closedForm = linalg.eigvalsh(rx.t().matmul(rx).mul(2.0 / 256)).max().item<double>();
        regressionTop.Should().BeApproximately(closedForm, 1e-8 * closedForm);
        x.IsInvalid.Should().BeFalse("the examples never dispose the caller's tensors");

        var dir = TestUtil.TempDir();
        var result = ReadmeExample.Train(model, x, y, dir);
        result.Reason.Should().Be(LossLandscape.Training.StopReason.Completed);
        result.History[^1].TrainLoss.Should().BeLessThan(result.History[0].TrainLoss!.Value);
        File.Exists(Path.Combine(dir, "options.json")).Should().BeTrue();
        var (fresh, _, _) = ReadmeExample.Setup();
        Checkpoint.Load(fresh, Path.Combine(dir, "mine.safetensors"));
    }
}
