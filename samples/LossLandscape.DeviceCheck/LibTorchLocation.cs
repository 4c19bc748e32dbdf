using System.Text.Json.Nodes;

namespace LossLandscape.DeviceCheck;

/// <summary>Where the libtorch to bind to lives, and what is known about it.</summary>
/// <param name="Dir">The folder holding libc10.so, libtorch_cpu.so, ... (a PyTorch install's torch/lib).</param>
/// <param name="Source">How it was found: the given folder, or the Python interpreter that imported torch.</param>
/// <param name="Version">torch.__version__ (null when not known).</param>
/// <param name="CudaVersion">torch.version.cuda (null for a CPU build or when not known).</param>
/// <param name="CMakePrefix">torch.utils.cmake_prefix_path, for building LibTorchSharp against this libtorch (null when not known).</param>
/// <param name="LibraryDirs">Folders for the loader's search path: <paramref name="Dir"/> first, then the folders of the CUDA libraries that came with it.</param>
/// <param name="DeviceName">torch.cuda.get_device_name(0) in that Python (null without CUDA or when not known).</param>
public sealed record LibTorchLocation(string Dir, string Source, string? Version, string? CudaVersion, string? CMakePrefix, IReadOnlyList<string> LibraryDirs,
    string? DeviceName = null)
{
    /// <summary>
    /// Asks <paramref name="python"/> to import torch and print where its libraries are: torch/lib, the folders of the
    /// NVIDIA libraries of the same environment (site-packages/nvidia/*/lib), any other folder in that environment
    /// that importing torch loaded a library from, and the name of the first CUDA device as PyTorch sees it.
    /// </summary>
    public const string PythonQuery = """
import glob, json, os
import torch
d = os.path.dirname(torch.__file__)
site = os.path.dirname(d)
dirs = set(os.path.dirname(p) for p in glob.glob(os.path.join(site, 'nvidia', '**', 'lib*.so*'), recursive=True))
try:
    with open('/proc/self/maps') as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and '.so' in parts[5] and parts[5].startswith(site):
                dirs.add(os.path.dirname(parts[5]))
except OSError:
    pass
lib = os.path.join(d, 'lib')
dirs.discard(lib)
try:
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
except Exception:
    device = None
print(json.dumps({'lib': lib, 'version': torch.__version__, 'cuda': torch.version.cuda,
                  'cmake': torch.utils.cmake_prefix_path, 'dirs': sorted(dirs), 'device': device}))
""";

    /// <summary>The folder <paramref name="dir"/> names, or its lib/ subfolder, when it holds libtorch_cpu.so; else null.</summary>
    public static string? LibraryFolder(string dir)
    {
        foreach (var candidate in new[] { dir, Path.Combine(dir, "lib") })
        {
            if (File.Exists(Path.Combine(candidate, "libtorch_cpu.so"))) return Path.GetFullPath(candidate);
        }
        return null;
    }

    /// <summary>A location for a given folder.</summary>
    /// <exception cref="LossLandscapeException">The folder holds no libtorch_cpu.so (nor does its lib/).</exception>
    public static LibTorchLocation FromFolder(string dir)
    {
        var lib = LibraryFolder(dir) ?? throw new LossLandscapeException(
            $"--libtorch {dir}: that folder holds no libtorch_cpu.so; give the folder with libtorch's libraries (a PyTorch install's torch/lib, " +
            "or runtimes/linux-x64/native of the libtorch-cpu-linux-x64 NuGet package).");
        return new LibTorchLocation(lib, "given folder", null, null, null, new[] { lib });
    }

    /// <summary>Finds libtorch through <paramref name="python"/> (<see cref="PythonQuery"/>).</summary>
    /// <exception cref="LossLandscapeException">No such interpreter, torch does not import, or its answer is not understood.</exception>
    public static LibTorchLocation FromPython(string python, TimeSpan limit)
    {
        var exe = ChildProcess.FindOnPath(python) ?? throw new LossLandscapeException(
            $"No libtorch was given and '{python}' is not on PATH: give --libtorch DIR (a folder holding libtorch_cpu.so) or --python EXE (an interpreter that imports torch).");
        var r = ChildProcess.Run(exe, new[] { "-c", PythonQuery }, null, limit);
        if (!r.Succeeded)
            throw new LossLandscapeException($"'{exe} -c \"import torch\"' failed ({r.Describe()}): give --libtorch DIR, or --python EXE of an environment that has PyTorch.");
        return ParsePythonAnswer(r.Stdout, exe);
    }

    /// <summary>Reads the JSON line that <see cref="PythonQuery"/> prints (the last line of <paramref name="stdout"/>).</summary>
    /// <exception cref="LossLandscapeException">No such line, or its torch/lib folder holds no libtorch_cpu.so.</exception>
    public static LibTorchLocation ParsePythonAnswer(string stdout, string python)
    {
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        JsonObject? o = null;
        try { o = line is null ? null : JsonNode.Parse(line) as JsonObject; }
        catch (System.Text.Json.JsonException) { }
        var lib = o?["lib"]?.GetValue<string>();
        if (o is null || lib is null)
            throw new LossLandscapeException($"{python} printed no libtorch location (got '{stdout.Trim()}'): give --libtorch DIR.");
        if (!File.Exists(Path.Combine(lib, "libtorch_cpu.so")))
            throw new LossLandscapeException($"{python}'s torch has no {Path.Combine(lib, "libtorch_cpu.so")}: give --libtorch DIR.");
        var dirs = new List<string> { lib };
        if (o["dirs"] is JsonArray a)
            dirs.AddRange(a.Select(n => n?.GetValue<string>()).OfType<string>().Where(d => !dirs.Contains(d)));
        return new LibTorchLocation(lib, $"python: {python}", o["version"]?.GetValue<string>(), o["cuda"]?.GetValue<string>(),
            o["cmake"]?.GetValue<string>(), dirs, o["device"]?.GetValue<string>());
    }

    /// <summary>The location as JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["dir"] = Dir,
        ["source"] = Source,
        ["version"] = Version,
        ["cuda"] = CudaVersion,
        ["cmakePrefix"] = CMakePrefix,
        ["deviceName"] = DeviceName,
        ["libraryDirs"] = new JsonArray(LibraryDirs.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
    };
}
