using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace LossLandscape.DeviceCheck;

/// <summary>
/// Points TorchSharp at a libtorch of one's choice before its first use, the way TorchSharp's own load error suggests:
/// <c>NativeLibrary.Load</c> of a chosen <c>libLibTorchSharp.so</c>. libtorch's libraries are loaded first, from one
/// folder, in dependency order (the CUDA ones where that folder has them), so that the chosen LibTorchSharp binds to them
/// and nothing else; TorchSharp's later load of "LibTorchSharp" by name then finds the library already loaded (same
/// soname) and never falls back to copying natives out of a NuGet cache.
/// </summary>
/// <remarks>
/// Uses nothing but the base class library, so that it can run as a startup hook inside any .NET program of the
/// bundle before TorchSharp is touched. Before the real load, the library is also opened with <c>RTLD_NOW</c>, which
/// binds every symbol at once: where a function that LibTorchSharp needs is missing from this libtorch (a version it
/// was not built for), dlerror names the first such symbol, which a lazy load would only hit, fatally, at its first call.
/// </remarks>
public static class TorchNativeBinding
{
    /// <summary>The variable naming the libLibTorchSharp.so to load.</summary>
    public const string LibTorchSharpVariable = "LLSCAPE_LIBTORCHSHARP";

    /// <summary>The variable naming the folder that holds libtorch's libraries (libc10.so, libtorch_cpu.so, ...).</summary>
    public const string LibTorchDirVariable = "LLSCAPE_LIBTORCH_DIR";

    /// <summary>libtorch's libraries in dependency order; the CUDA ones are optional.</summary>
    public static IReadOnlyList<(string File, bool Required)> LibTorchLibraries { get; } = new[]
    {
        ("libc10.so", true),
        ("libtorch_cpu.so", true),
        ("libc10_cuda.so", false),
        ("libtorch_cuda.so", false),
        ("libtorch.so", true),
    };

    private static readonly object Gate = new();
    private static BindingReport? _done;

    /// <summary>Binds from <see cref="LibTorchSharpVariable"/> and <see cref="LibTorchDirVariable"/>; null when the first is not set.</summary>
    public static BindingReport? BindFromEnvironment()
    {
        var lib = Environment.GetEnvironmentVariable(LibTorchSharpVariable);
        if (string.IsNullOrWhiteSpace(lib)) return null;
        return Bind(lib, Environment.GetEnvironmentVariable(LibTorchDirVariable));
    }

    /// <summary>
    /// Loads libtorch's libraries from <paramref name="libTorchDir"/> (when given), then <paramref name="libTorchSharp"/>.
    /// Never throws for a library that does not load: the report says which one and why (dlerror's text). Binding twice
    /// in one process returns the first successful report.
    /// </summary>
    public static BindingReport Bind(string libTorchSharp, string? libTorchDir)
    {
        ArgumentNullException.ThrowIfNull(libTorchSharp);
        lock (Gate)
        {
            if (_done is not null) return _done;
            var steps = new List<BindingStep>();
            bool ok = true;
            if (!string.IsNullOrWhiteSpace(libTorchDir))
            {
                if (!Directory.Exists(libTorchDir))
                {
                    steps.Add(new BindingStep(libTorchDir, "failed", $"the libtorch folder {libTorchDir} does not exist"));
                    ok = false;
                }
                else
                {
                    foreach (var (file, required) in LibTorchLibraries)
                    {
                        var path = Path.Combine(libTorchDir, file);
                        if (!File.Exists(path))
                        {
                            steps.Add(new BindingStep(path, required ? "failed" : "absent", required ? $"{file} is not in {libTorchDir}" : null));
                            if (!required) continue;
                            ok = false;
                            break;
                        }
                        var step = Load(path);
                        steps.Add(step);
                        ok &= step.Status == "loaded";
                        if (!ok) break;
                    }
                }
            }
            string? unresolved = null;
            if (ok)
            {
                var full = Path.GetFullPath(libTorchSharp);
                if (!File.Exists(full))
                {
                    steps.Add(new BindingStep(full, "failed", $"{full} does not exist"));
                    ok = false;
                }
                else
                {
                    unresolved = ProbeImmediateBinding(full);
                    var step = Load(full);
                    steps.Add(step);
                    ok = step.Status == "loaded";
                }
            }
            var report = new BindingReport(ok, Path.GetFullPath(libTorchSharp), libTorchDir, steps, unresolved);
            if (ok) _done = report;
            return report;
        }
    }

    private static BindingStep Load(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return new BindingStep(path, "loaded", null);
        }
        catch (DllNotFoundException e)
        {
            return new BindingStep(path, "failed", e.Message);
        }
        catch (BadImageFormatException e)
        {
            return new BindingStep(path, "failed", e.Message);
        }
    }

    /// <summary>Opens the library with every symbol bound at once; returns dlerror's text when that fails, else null.</summary>
    private static string? ProbeImmediateBinding(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var handle = Dl.dlopen(path, Dl.RTLD_NOW);
            if (handle != IntPtr.Zero) return null; // stays loaded: the NativeLibrary.Load that follows gets this handle
            var error = Dl.dlerror();
            return error == IntPtr.Zero ? "dlopen(RTLD_NOW) failed without a message" : Marshal.PtrToStringUTF8(error);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // not glibc: the lazy load below still reports what it can
        }
    }

    private static class Dl
    {
        public const int RTLD_NOW = 2;

        [DllImport("libc.so.6", ExactSpelling = true)]
        public static extern IntPtr dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

        [DllImport("libc.so.6", ExactSpelling = true)]
        public static extern IntPtr dlerror();
    }
}

/// <summary>One library load.</summary>
/// <param name="Path">The file.</param>
/// <param name="Status">loaded, failed or absent (an optional CUDA library the folder does not have).</param>
/// <param name="Error">Why it failed (the loader's message), or null.</param>
public sealed record BindingStep(string Path, string Status, string? Error);

/// <summary>The outcome of <see cref="TorchNativeBinding.Bind"/>.</summary>
/// <param name="Loaded">Every required library loaded.</param>
/// <param name="LibTorchSharp">The LibTorchSharp file.</param>
/// <param name="LibTorchDir">The libtorch folder, or null.</param>
/// <param name="Steps">Each load, in order.</param>
/// <param name="UnresolvedSymbol">dlerror's text where binding every symbol at once failed (the first missing symbol), else null.</param>
public sealed record BindingReport(bool Loaded, string LibTorchSharp, string? LibTorchDir, IReadOnlyList<BindingStep> Steps, string? UnresolvedSymbol)
{
    /// <summary>One line saying what failed, for an error message.</summary>
    public string Describe()
    {
        var failed = Steps.FirstOrDefault(s => s.Status == "failed");
        if (failed is not null) return $"could not load {failed.Path}: {failed.Error}";
        if (UnresolvedSymbol is not null) return $"{LibTorchSharp} loaded lazily, but not every symbol it needs is in this libtorch: {UnresolvedSymbol}";
        return $"{LibTorchSharp} loaded against the libtorch in {LibTorchDir ?? "the loader's search path"}";
    }

    /// <summary>The report as JSON.</summary>
    public JsonObject ToJson()
    {
        var steps = new JsonArray();
        foreach (var s in Steps)
            steps.Add(new JsonObject { ["path"] = s.Path, ["status"] = s.Status, ["error"] = s.Error });
        return new JsonObject
        {
            ["loaded"] = Loaded,
            ["libTorchSharp"] = LibTorchSharp,
            ["libTorchDir"] = LibTorchDir,
            ["unresolvedSymbol"] = UnresolvedSymbol,
            ["steps"] = steps,
            ["summary"] = Describe(),
        };
    }
}
