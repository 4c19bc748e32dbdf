using LossLandscape.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests;

/// <summary>Shared helpers: tiny float64 models, temporary folders, references.</summary>
internal static class TestUtil
{
    public static Mlp TinyMlp(int seed = 0, params int[] widths)
    {
        manual_seed(seed);
        var m = new Mlp(widths.Length == 0 ? new[] { 4, 6, 3 } : widths);
        m.to(ScalarType.Float64);
        return m;
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "llscape-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    public static double[] ToArray(Tensor t) => t.to(ScalarType.Float64).cpu().data<double>().ToArray();

    public static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "LossLandscape.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
