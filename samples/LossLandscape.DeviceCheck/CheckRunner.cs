using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using LossLandscape.IO;

namespace LossLandscape.DeviceCheck;

/// <summary>
/// <c>run</c>: the whole check, in a fixed order, within a time budget, each Torch part in its own process. This
/// process never touches Torch: it finds libtorch, asks the linker what LibTorchSharp lacks against it, rebuilds
/// LibTorchSharp when that is asked for or needed (and possible), runs the stages, runs llscape from the bundle, and
/// writes everything it learns to check.json (atomically, after every part, so a killed run still leaves a report).
/// </summary>
internal sealed class CheckRunner
{
    /// <summary>
    /// The spectrum comparison's tolerance: CPU and CUDA top-5 eigenvalues within 1e-5 of the largest. On the CPU, runs
    /// from different start vectors (seeds 0 to 2) and float64 agree to within 1e-7 of it for this model at --tol 1e-5.
    /// </summary>
    public const double SpectrumTolerance = 1e-5;

    private const string SpectrumModel = "mlp:20-32-32-4";

    private readonly CheckOptions _o;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly JsonObject _report = new();
    private readonly JsonObject _stages = new();
    private readonly string _appDir = AppContext.BaseDirectory;
    private readonly string _dotnet = Environment.ProcessPath ?? "dotnet";
    private string _reportFile = "";
    private string _work = "";
    private string _libTorchSharp = "";
    private LibTorchLocation? _libTorch;

    public CheckRunner(CheckOptions options) => _o = options;

    private string Dll => Path.Combine(_appDir, "LossLandscape.DeviceCheck.dll");

    private double Left => _o.Budget - _watch.Elapsed.TotalSeconds;

    /// <summary>Runs the check; returns 0 when it passed, 1 when a part failed, 2 for bad input.</summary>
    public int Run()
    {
        if (!Directory.Exists(_o.Bundle))
            throw new LossLandscapeException($"--bundle {_o.Bundle}: no such folder; give the unpacked llscape-gpu-bundle folder.");
        _libTorchSharp = Path.GetFullPath(_o.LibTorchSharp ?? Path.Combine(_o.Bundle, "native", "libLibTorchSharp.so"));
        if (!File.Exists(_libTorchSharp))
            throw new LossLandscapeException($"{_libTorchSharp} does not exist: give --libtorchsharp FILE, or --bundle DIR of a bundle made by .ci/gpu/bundle.");
        var given = _o.LibTorch is null ? null : LibTorchLocation.FromFolder(_o.LibTorch);
        Directory.CreateDirectory(_o.Out);
        _reportFile = Path.Combine(Path.GetFullPath(_o.Out), "check.json");
        _work = Path.GetFullPath(_o.Work ?? Path.Combine(Path.GetTempPath(), $"llscape-gpu-check-{Environment.ProcessId}"));
        Directory.CreateDirectory(_work);

        _report["check"] = "llscape GPU device check";
        _report["started"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        _report["status"] = "running";
        _report["options"] = new JsonObject
        {
            ["budgetSeconds"] = _o.Budget, ["quick"] = _o.Quick, ["requireCuda"] = _o.RequireCuda, ["rebuild"] = _o.Rebuild,
        };
        _report["bundle"] = BundleInfo();
        _report["host"] = HostInfo();
        var gpu = NvidiaSmi();
        _report["gpu"] = gpu;
        _report["cudaVisible"] = false;
        _report["deviceName"] = gpu["name"]?.DeepClone();
        _report["stages"] = _stages;
        Save(); // also proves the report can be written before anything long starts

        _libTorch = given ?? FindThroughPython();
        if (_libTorch is null) return Finish();
        _report["libtorch"] = _libTorch.ToJson();
        if (_report["deviceName"] is null && _libTorch.DeviceName is not null) _report["deviceName"] = _libTorch.DeviceName;
        var link = LinkReport.Run(_libTorchSharp, SearchPath(), Limit(120));
        _report["link"] = link.ToJson();
        Save();
        MaybeRebuild(link.Available && !link.Ok ? "the link check found missing libraries or symbols" : null);

        TorchStages();
        var crash = Crashed();
        if (_o.Rebuild == "auto" && _report["rebuild"] is null && crash is not null)
        {
            // The shipped LibTorchSharp resolved against this libtorch but a part died in native code (a libtorch whose
            // layout differs from the one it was built for): rebuild once, and run the Torch parts again with it.
            MaybeRebuild($"{crash} died with the shipped LibTorchSharp");
            if (Status(_report["rebuild"] as JsonObject) == "passed")
            {
                _report["stagesWithShippedLibTorchSharp"] = _stages.DeepClone();
                foreach (var name in new[] { "load", "resnet", "spectrum-data", "spectrum" }) _stages.Remove(name);
                TorchStages();
            }
        }
        if (Left > 10) Figures();
        else Skip("figures", "the time budget is spent");
        return Finish();
    }

    /// <summary>The parts that use Torch: load (with a rebuild when binding every symbol fails), resnet, spectrum.</summary>
    private void TorchStages()
    {
        var load = RunStage("load", Array.Empty<string>(), Limit(180));
        if (_report["rebuild"] is null && load["binding"]?["unresolvedSymbol"] is JsonValue unresolved)
        {
            // ldd could not tell (or is not there), but binding every symbol at once failed: rebuild, then load again.
            MaybeRebuild($"binding every symbol at once failed: {unresolved}");
            if (Status(_report["rebuild"] as JsonObject) == "passed") load = RunStage("load", Array.Empty<string>(), Limit(180));
        }
        bool loaded = Status(load) == "passed";
        bool cuda = loaded && load["cudaAvailable"]?.GetValue<bool>() == true;
        _report["cudaVisible"] = cuda;
        Save();
        if (!loaded)
        {
            Skip("resnet", "the load stage failed");
            Skip("spectrum", "the load stage failed");
            return;
        }
        if (Left > 30) RunStage("resnet", Array.Empty<string>(), Limit(_o.Quick ? 240 : 360));
        else Skip("resnet", "the time budget is spent");
        if (Left > 20) Spectrum(cuda);
        else Skip("spectrum", "the time budget is spent");
    }

    /// <summary>The first Torch part whose process died in native code (a signal, or the loader's symbol lookup error), or null.</summary>
    private string? Crashed()
    {
        foreach (var name in new[] { "load", "resnet", "spectrum-data" })
            if (_stages[name] is JsonObject s && s["crashed"]?.GetValue<bool>() == true) return $"stage {name}";
        foreach (var device in new[] { "cpu", "cuda" })
            if (_stages["spectrum"]?[device] is JsonObject r && r["crashed"]?.GetValue<bool>() == true) return $"llscape spectrum --device {device}";
        return null;
    }

    /// <summary>A child died in native code: killed by a signal (an abort), or the loader could not bind a symbol.</summary>
    internal static bool DiedInNativeCode(ChildResult r) =>
        !r.TimedOut && (r.ExitCode > 128 || r.StderrTail.Contains("symbol lookup error", StringComparison.Ordinal)
                        || r.StderrTail.Contains("undefined symbol", StringComparison.Ordinal));

    private LibTorchLocation? FindThroughPython()
    {
        try
        {
            return LibTorchLocation.FromPython(_o.Python, Limit(120));
        }
        catch (LossLandscapeException e)
        {
            _report["libtorch"] = new JsonObject { ["status"] = "failed", ["error"] = e.Message };
            _report["error"] = e.Message;
            return null;
        }
    }

    /// <summary>The loader's search path for the children: libtorch's folders, then whatever was set already.</summary>
    private string SearchPath()
    {
        var dirs = new List<string>(_libTorch!.LibraryDirs);
        var existing = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(existing)) dirs.AddRange(existing.Split(':', StringSplitOptions.RemoveEmptyEntries));
        return string.Join(':', dirs.Distinct());
    }

    /// <summary>
    /// The children's environment. NUGET_PACKAGES names a folder that does not exist, so that TorchSharp cannot fall back
    /// to copying natives out of a NuGet cache: the bundle is tested as it would run on a machine without one.
    /// </summary>
    private Dictionary<string, string?> ChildEnvironment(bool startupHook) => new()
    {
        ["LD_LIBRARY_PATH"] = SearchPath(),
        [TorchNativeBinding.LibTorchSharpVariable] = _libTorchSharp,
        [TorchNativeBinding.LibTorchDirVariable] = _libTorch!.Dir,
        ["NUGET_PACKAGES"] = Path.Combine(_work, "no-nuget-cache"),
        ["DOTNET_STARTUP_HOOKS"] = startupHook ? Dll : null,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    private TimeSpan Limit(double seconds) => TimeSpan.FromSeconds(Math.Max(5, Math.Min(seconds, Left)));

    /// <summary>Rebuilds LibTorchSharp when --rebuild always, or when auto and <paramref name="need"/> says why it is needed.</summary>
    private void MaybeRebuild(string? need)
    {
        bool wanted = _o.Rebuild == "always" || (_o.Rebuild == "auto" && need is not null);
        if (!wanted) return;
        var rebuild = new JsonObject { ["reason"] = _o.Rebuild == "always" ? "--rebuild always" : need };
        _report["rebuild"] = rebuild;
        var sources = Path.Combine(_o.Bundle, "torchsharp-native-src.tar.gz");
        var script = Path.Combine(_o.Bundle, "build-libtorchsharp");
        if (!File.Exists(sources) || !File.Exists(script))
        {
            rebuild["status"] = "unavailable";
            rebuild["error"] = $"the bundle has no {Path.GetFileName(sources)} or build-libtorchsharp: make it with .ci/gpu/bundle --torchsharp-src DIR";
            Save();
            return;
        }
        if (_libTorch!.CMakePrefix is null)
        {
            rebuild["status"] = "unavailable";
            rebuild["error"] = "no CMake config is known for this libtorch: let the check find it through --python EXE (torch.utils.cmake_prefix_path)";
            Save();
            return;
        }
        if (Left < 240)
        {
            rebuild["status"] = "skipped";
            rebuild["error"] = $"only {Left:F0} s of the budget are left; a rebuild needs about 4 minutes";
            Save();
            return;
        }
        var buildDir = Path.Combine(_work, "libtorchsharp-build");
        var original = _libTorchSharp;
        var r = ChildProcess.Run("bash", new[]
            {
                script, "--src", sources, "--torch-cmake", _libTorch.CMakePrefix, "--build", buildDir,
                "--jobs", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), "--reference", original,
            },
            new Dictionary<string, string?> { ["LD_LIBRARY_PATH"] = SearchPath() }, Limit(Left - 150));
        rebuild["seconds"] = Math.Round(r.Seconds, 1);
        var log = Path.Combine(Path.GetFullPath(_o.Out), "rebuild.log");
        AtomicFile.WriteAllText(log, r.Stdout + "\n--- stderr (tail) ---\n" + r.StderrTail);
        rebuild["log"] = log;
        var built = Path.Combine(buildDir, "libLibTorchSharp.so");
        if (!r.Succeeded || !File.Exists(built))
        {
            rebuild["status"] = "failed";
            rebuild["error"] = r.Succeeded ? $"the build ended without {built}" : r.Describe();
            Save();
            return;
        }
        var kept = Path.Combine(Path.GetFullPath(_o.Out), "libLibTorchSharp.so");
        File.Copy(built, kept, overwrite: true);
        var after = LinkReport.Run(kept, SearchPath(), Limit(120));
        rebuild["status"] = after.Ok ? "passed" : "failed";
        rebuild["library"] = kept;
        rebuild["link"] = after.ToJson();
        if (after.Ok) _libTorchSharp = kept; // else the parts run with the shipped library, as they would have
        Save();
    }

    private JsonObject RunStage(string name, IEnumerable<string> extra, TimeSpan limit)
    {
        var resultFile = Path.Combine(_work, $"{name}.json");
        File.Delete(resultFile);
        var args = new List<string> { Dll, "stage", name, "--result", resultFile };
        if (_o.Quick) args.Add("--quick");
        args.AddRange(extra);
        Console.WriteLine($"check: stage {name} (at most {limit.TotalSeconds:F0} s)");
        var r = ChildProcess.Run(_dotnet, args, ChildEnvironment(startupHook: false), limit);
        var result = ReadObject(resultFile) ?? new JsonObject();
        result["seconds"] = Math.Round(r.Seconds, 2);
        if (!r.Succeeded)
        {
            result["status"] = "failed";
            result["process"] = r.Describe();
            if (result["error"] is null) result["error"] = r.Describe();
            result["stderrTail"] = Tail(r.StderrTail, 3000);
            result["crashed"] = DiedInNativeCode(r);
        }
        _stages[name] = result;
        Save();
        return result;
    }

    private void Spectrum(bool cuda)
    {
        var folder = Path.Combine(_work, "spectrum");
        var data = RunStage("spectrum-data", new[] { "--folder", folder }, Limit(90));
        var spectrum = new JsonObject { ["model"] = SpectrumModel, ["top"] = 5 };
        _stages["spectrum"] = spectrum;
        if (Status(data) != "passed")
        {
            spectrum["status"] = "failed";
            spectrum["error"] = "the spectrum-data stage failed";
            Save();
            return;
        }
        var cpu = Llscape("cpu", folder);
        spectrum["cpu"] = cpu;
        if (Status(cpu) != "passed")
        {
            spectrum["status"] = "failed";
            spectrum["cuda"] = new JsonObject { ["status"] = "skipped", ["reason"] = "the CPU run failed" };
            Save();
            return;
        }
        if (!cuda)
        {
            spectrum["cuda"] = new JsonObject { ["status"] = "unavailable", ["reason"] = "CUDA is not available" };
            spectrum["status"] = "passed";
            Save();
            return;
        }
        var gpu = Llscape("cuda", folder);
        spectrum["cuda"] = gpu;
        if (Status(gpu) == "passed")
        {
            var a = Eigenvalues(gpu);
            var b = Eigenvalues(cpu);
            double d = Agreement.Spectral(a, b);
            bool pass = d <= SpectrumTolerance;
            gpu["maxDifferenceRelativeToLargest"] = d;
            gpu["tolerance"] = SpectrumTolerance;
            gpu["status"] = pass ? "passed" : "failed";
        }
        spectrum["status"] = Status(gpu) == "passed" ? "passed" : "failed";
        Save();
    }

    private JsonObject Llscape(string device, string folder)
    {
        var json = Path.Combine(_work, $"spectrum-{device}.json");
        File.Delete(json);
        var args = new[]
        {
            Path.Combine(_appDir, "llscape.dll"), "spectrum", "--model", SpectrumModel, "--weights", Path.Combine(folder, "mlp.safetensors"),
            "--data", Path.Combine(folder, "data.safetensors"), "--top", "5", "--tol", "1e-5", "--batch-size", "512", "--seed", "0",
            "--device", device, "--json", json,
        };
        var command = "llscape " + string.Join(' ', args.Skip(1));
        if (!File.Exists(args[0]))
            return new JsonObject { ["status"] = "failed", ["error"] = $"{args[0]} is not next to the check program (run the check from the bundle)" };
        Console.WriteLine($"check: {command}");
        var r = ChildProcess.Run(_dotnet, args, ChildEnvironment(startupHook: true), Limit(180));
        var result = new JsonObject { ["command"] = command, ["seconds"] = Math.Round(r.Seconds, 2) };
        var o = ReadObject(json);
        if (!r.Succeeded || o is null)
        {
            result["status"] = "failed";
            result["error"] = r.Succeeded ? $"llscape wrote no {json}" : r.Describe();
            result["stderrTail"] = Tail(r.StderrTail + r.Stdout, 3000);
            result["crashed"] = DiedInNativeCode(r);
            return result;
        }
        result["status"] = "passed";
        result["eigenvalues"] = o["eigenvalues"]?.DeepClone();
        result["converged"] = o["converged"]?.DeepClone();
        result["applications"] = o["applications"]?.DeepClone();
        return result;
    }

    private static double[] Eigenvalues(JsonObject run) =>
        (run["eigenvalues"] as JsonArray)?.Select(n => n!.GetValue<double>()).ToArray() ?? Array.Empty<double>();

    private void Figures()
    {
        var dll = Path.Combine(_appDir, "LossLandscape.Figures.dll");
        var figures = new JsonObject { ["command"] = "LossLandscape.Figures --list" };
        _stages["figures"] = figures;
        if (!File.Exists(dll))
        {
            figures["status"] = "failed";
            figures["error"] = $"{dll} is not next to the check program (run the check from the bundle)";
            Save();
            return;
        }
        var r = ChildProcess.Run(_dotnet, new[] { dll, "--list" }, ChildEnvironment(startupHook: true), Limit(60));
        int lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        figures["figures"] = lines;
        figures["seconds"] = Math.Round(r.Seconds, 2);
        figures["status"] = r.Succeeded && lines > 0 ? "passed" : "failed";
        if (!r.Succeeded) figures["error"] = r.Describe();
        Save();
    }

    private void Skip(string name, string reason)
    {
        _stages[name] = new JsonObject { ["status"] = "skipped", ["reason"] = reason };
        Save();
    }

    /// <summary>
    /// Sums up: passed when no part failed (and, with --require-cuda, CUDA was there to check). A rebuild that failed
    /// is not a failure by itself (its own status says so): the parts then ran with the shipped library.
    /// </summary>
    private int Finish()
    {
        var failed = new List<string>();
        if (_libTorch is null) failed.Add("libtorch");
        foreach (var (name, node) in _stages)
        {
            if (node is not JsonObject s) continue;
            var status = Status(s);
            if (status is "failed" or "skipped") failed.Add(name);
            foreach (var part in new[] { "cuda", "throughput", "hvpGradientRatio" })
            {
                if (s[part] is JsonObject p && Status(p) is "failed") failed.Add($"{name}.{part}");
                if (_o.RequireCuda && s[part] is JsonObject q && Status(q) is "unavailable") failed.Add($"{name}.{part} (CUDA required)");
            }
        }
        if (_o.RequireCuda && _report["cudaVisible"]?.GetValue<bool>() != true) failed.Add("cudaVisible (CUDA required)");
        _report["failed"] = new JsonArray(failed.Distinct().Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        _report["status"] = failed.Count == 0 ? "passed" : "failed";
        _report["seconds"] = Math.Round(_watch.Elapsed.TotalSeconds, 1);
        Save();
        if (_o.Work is null && _work.Length > 0)
        {
            try { Directory.Delete(_work, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        if (_report["error"] is JsonValue error) Console.Error.WriteLine($"check: {error}");
        Console.WriteLine($"check: {_report["status"]} in {_watch.Elapsed.TotalSeconds:F0} s; CUDA visible: {(_report["cudaVisible"]?.GetValue<bool>() == true ? "yes" : "no")}" +
            (failed.Count > 0 ? $"; failed: {string.Join(", ", failed.Distinct())}" : "") + $"; report: {_reportFile}");
        return failed.Count == 0 ? 0 : 1;
    }

    private static string? Status(JsonObject? o) => o?["status"]?.GetValue<string>();

    private void Save() => AtomicFile.WriteAllText(_reportFile, _report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static JsonObject? ReadObject(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static string Tail(string s, int chars) => s.Length <= chars ? s : s[^chars..];

    private JsonNode BundleInfo()
    {
        var file = Path.Combine(_o.Bundle, "BUNDLE.json");
        var o = ReadObject(file) ?? new JsonObject { ["note"] = $"{file} not found (not run from a bundle)" };
        o["path"] = Path.GetFullPath(_o.Bundle);
        return o;
    }

    private JsonObject HostInfo() => new()
    {
        ["machine"] = Environment.MachineName,
        ["os"] = RuntimeInformation.OSDescription,
        ["processors"] = Environment.ProcessorCount,
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["dotnetHost"] = _dotnet,
        ["runtimeDirectory"] = RuntimeEnvironment.GetRuntimeDirectory(),
    };

    /// <summary>The first GPU as nvidia-smi names it, or why there is none.</summary>
    private JsonObject NvidiaSmi()
    {
        var smi = ChildProcess.FindOnPath("nvidia-smi")
                  ?? new[] { "/usr/local/nvidia/bin/nvidia-smi", "/usr/bin/nvidia-smi" }.FirstOrDefault(File.Exists);
        if (smi is null) return new JsonObject { ["present"] = false, ["reason"] = "nvidia-smi is not on PATH (nor in /usr/local/nvidia/bin)" };
        var r = ChildProcess.Run(smi, new[] { "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader" }, null, Limit(30));
        var first = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (!r.Succeeded || first is null) return new JsonObject { ["present"] = false, ["reason"] = $"nvidia-smi: {r.Describe()}" };
        var parts = first.Split(',', StringSplitOptions.TrimEntries);
        return new JsonObject
        {
            ["present"] = true,
            ["name"] = parts[0],
            ["driver"] = parts.Length > 1 ? parts[1] : null,
            ["memory"] = parts.Length > 2 ? parts[2] : null,
        };
    }
}
