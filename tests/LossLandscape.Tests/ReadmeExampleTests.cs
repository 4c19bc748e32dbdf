using LossLandscape.Checkpoints;
using LossLandscape.Models;

namespace LossLandscape.Tests;

public class ReadmeExampleTests
{
    private static string Normalize(IEnumerable<string> lines) =>
        string.Join("\n", lines.Select(l => l.Trim()).Where(l => l.Length > 0));

    [Fact]
    public void ReadmeCSharpExample_IsTheCompiledOne()
    {
        var src = File.ReadAllLines(Path.Combine(TestUtil.RepoRoot(), "tests", "LossLandscape.Tests", "ReadmeExample.cs"));
        int b = Array.FindIndex(src, l => l.Contains("README-BEGIN", StringComparison.Ordinal));
        int e = Array.FindIndex(src, l => l.Contains("README-END", StringComparison.Ordinal));
        var compiled = Normalize(src[(b + 1)..e]);

        var readme = File.ReadAllLines(Path.Combine(TestUtil.RepoRoot(), "README.md"));
        int rb = Array.FindIndex(readme, l => l.Trim() == "```csharp");
        rb.Should().BeGreaterThan(0, "the README has a C# example");
        int re = Array.FindIndex(readme, rb + 1, l => l.Trim() == "```");
        var shown = Normalize(readme[(rb + 1)..re]);
        shown.Should().Be(compiled);
    }

    [Fact]
    public void ReadmeCSharpExample_Runs()
    {
        var dir = TestUtil.TempDir();
        ReadmeExample.Run(dir).Should().BeApproximately(0.5, 1e-12);
        using var m = ModelSpec.Parse("mlp:784-500-300-10").Create();
        Checkpoint.Load(m, Path.Combine(dir, "mlp.safetensors"));
    }
}
