namespace LossLandscape.DeviceCheck;

/// <summary><c>env</c>: the shell exports under which the bundle's programs bind to a chosen libtorch (for its wrappers).</summary>
internal static class ShellEnvironment
{
    /// <summary>Prints the exports; returns 0.</summary>
    /// <exception cref="LossLandscapeException">Bad options, or no libtorch found.</exception>
    public static int Print(IReadOnlyList<string> args, TextWriter output)
    {
        var fromEnvironment = new List<string>();
        var dir = Environment.GetEnvironmentVariable(TorchNativeBinding.LibTorchDirVariable);
        var lib = Environment.GetEnvironmentVariable(TorchNativeBinding.LibTorchSharpVariable);
        if (!string.IsNullOrWhiteSpace(dir)) fromEnvironment.AddRange(new[] { "--libtorch", dir });
        if (!string.IsNullOrWhiteSpace(lib)) fromEnvironment.AddRange(new[] { "--libtorchsharp", lib });
        var o = CheckOptions.Parse(fromEnvironment.Concat(args).ToArray());
        var libTorch = o.LibTorch is not null ? LibTorchLocation.FromFolder(o.LibTorch) : LibTorchLocation.FromPython(o.Python, TimeSpan.FromSeconds(120));
        var libTorchSharp = Path.GetFullPath(o.LibTorchSharp ?? Path.Combine(o.Bundle, "native", "libLibTorchSharp.so"));
        if (!File.Exists(libTorchSharp))
            throw new LossLandscapeException($"{libTorchSharp} does not exist: give --libtorchsharp FILE (or set {TorchNativeBinding.LibTorchSharpVariable}).");
        var dirs = new List<string>(libTorch.LibraryDirs);
        var existing = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(existing)) dirs.AddRange(existing.Split(':', StringSplitOptions.RemoveEmptyEntries));
        output.WriteLine($"export LD_LIBRARY_PATH={Quote(string.Join(':', dirs.Distinct()))}");
        output.WriteLine($"export {TorchNativeBinding.LibTorchSharpVariable}={Quote(libTorchSharp)}");
        output.WriteLine($"export {TorchNativeBinding.LibTorchDirVariable}={Quote(libTorch.Dir)}");
        output.WriteLine($"export DOTNET_STARTUP_HOOKS={Quote(Path.Combine(AppContext.BaseDirectory, "LossLandscape.DeviceCheck.dll"))}");
        return 0;
    }

    /// <summary>A single-quoted shell word.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
