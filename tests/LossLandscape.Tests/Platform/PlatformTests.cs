using System.Reflection;
using System.Text;

namespace LossLandscape.Tests.Platform;

public class PlatformTests
{
    [Fact]
    public void Library_HasNoConsoleOrPlottingDependency()
    {
        var refs = typeof(LossLandscapeException).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        refs.Should().Contain("TorchSharp");
        refs.Should().NotContain(n => n.StartsWith("Spectre", StringComparison.Ordinal) || n.StartsWith("ScottPlot", StringComparison.Ordinal)
                                      || n.StartsWith("SkiaSharp", StringComparison.Ordinal) || n == "System.Console");
    }

    [Fact]
    public void TorchNative_IsPatchedOnlyWhereTheSystemLibStdCxxLacksTheVersion()
    {
        if (!OperatingSystem.IsLinux()) return;
        var lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        File.Exists(lib).Should().BeTrue();
        var systemHasIt = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .Where(File.Exists).Take(1)
            .Any(p => Encoding.ASCII.GetString(File.ReadAllBytes(p)).Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal));
        var flags = VersionNeedFlags(File.ReadAllBytes(lib), "GLIBCXX_3.4.32");
        flags.Should().NotBeNull("TorchSharp 0.107.0 declares GLIBCXX_3.4.32");
        if (systemHasIt) (flags!.Value & 2).Should().Be(0, "nothing changes where libstdc++ is new enough");
        else (flags!.Value & 2).Should().Be(2, "the requirement is marked weak for older libstdc++");
        // And the library loads: a Torch op runs in this process.
        TorchSharp.torch.ones(2).sum().item<float>().Should().Be(2f);
    }

    [Fact]
    public void NuGetCacheCopy_IsNeverModified()
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cached = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(cached)) return;
        var flags = VersionNeedFlags(File.ReadAllBytes(cached), "GLIBCXX_3.4.32");
        (flags!.Value & 2).Should().Be(0);
    }

    /// <summary>Independent reader of Elf64_Vernaux flags (by walking .gnu.version_r), for the test only.</summary>
    private static int? VersionNeedFlags(byte[] d, string name)
    {
        long shoff = BitConverter.ToInt64(d, 0x28);
        int shentsize = BitConverter.ToUInt16(d, 0x3A), shnum = BitConverter.ToUInt16(d, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + i * shentsize);
            if (BitConverter.ToUInt32(d, sh + 4) != 0x6ffffffe) continue;
            int off = (int)BitConverter.ToInt64(d, sh + 0x18);
            int link = BitConverter.ToInt32(d, sh + 0x28);
            int count = BitConverter.ToInt32(d, sh + 0x2C);
            int str = (int)BitConverter.ToInt64(d, (int)(shoff + link * shentsize) + 0x18);
            int vn = off;
            for (int k = 0; k < count; k++)
            {
                int aux = vn + BitConverter.ToInt32(d, vn + 8);
                for (int j = 0; j < BitConverter.ToUInt16(d, vn + 2); j++)
                {
                    int n = str + BitConverter.ToInt32(d, aux + 8);
                    int e = Array.IndexOf(d, (byte)0, n);
                    if (Encoding.ASCII.GetString(d, n, e - n) == name) return BitConverter.ToUInt16(d, aux + 4);
                    aux += BitConverter.ToInt32(d, aux + 12);
                }
                vn += BitConverter.ToInt32(d, vn + 12);
            }
        }
        return null;
    }
}
