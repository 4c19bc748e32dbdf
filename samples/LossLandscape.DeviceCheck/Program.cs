using System.Text.Json;

namespace LossLandscape.DeviceCheck;

/// <summary>
/// The device check of the GPU bundle: <c>run</c> (the whole check, writes check.json), <c>env</c> (shell exports that
/// bind the bundle's programs to a libtorch), <c>stage NAME</c> (one Torch part in its own process; used by run).
/// </summary>
public static class Program
{
    internal const string Usage =
        "usage: LossLandscape.DeviceCheck run [--bundle DIR] [--libtorch DIR | --python EXE] [--libtorchsharp FILE] [--out DIR]\n" +
        "                                     [--work DIR] [--budget SECONDS] [--rebuild auto|never|always] [--quick] [--require-cuda]\n" +
        "       LossLandscape.DeviceCheck env [--bundle DIR] [--libtorch DIR | --python EXE] [--libtorchsharp FILE]\n" +
        "       LossLandscape.DeviceCheck stage load|resnet|spectrum-data --result FILE [--quick] [--folder DIR]\n" +
        "\n" +
        "run: binds TorchSharp to a libtorch that is not in the build (a PyTorch install's torch/lib, found through\n" +
        "  python3 unless --libtorch DIR names the folder), reports what LibTorchSharp lacks against it (ldd -r),\n" +
        "  rebuilds LibTorchSharp from the bundle's TorchSharp sources when symbols are missing (--rebuild auto), then\n" +
        "  checks a ResNet-56 training step and Hessian-vector product on CUDA against the CPU, llscape spectrum top-5\n" +
        "  on CUDA against the CPU, ResNet-56 training images/s and the HVP/gradient cost ratio on CUDA. Without CUDA\n" +
        "  those parts are reported as unavailable (a failure with --require-cuda). Writes DIR/check.json (--out,\n" +
        "  default gpu-check); exit 0 when every part passed, 1 when one failed, 2 for bad input.\n" +
        "  --budget: seconds for the whole check (default 540); --quick: small sizes (the CPU self-test).\n" +
        "env: prints the shell exports (LD_LIBRARY_PATH, LLSCAPE_LIBTORCHSHARP, LLSCAPE_LIBTORCH_DIR, DOTNET_STARTUP_HOOKS)\n" +
        "  under which the bundle's llscape and figures programs use that libtorch; LLSCAPE_LIBTORCH_DIR and\n" +
        "  LLSCAPE_LIBTORCHSHARP, when set, are taken as --libtorch and --libtorchsharp.";

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help" || args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args[0] switch
            {
                "run" => new CheckRunner(CheckOptions.Parse(args[1..])).Run(),
                "env" => ShellEnvironment.Print(args[1..], Console.Out),
                "stage" => Stage(args[1..]),
                _ => throw new LossLandscapeException($"Unknown command '{args[0]}': use run, env or stage (see --help)."),
            };
        }
        catch (LossLandscapeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Runs one stage and writes its JSON to --result; 0 when it passed (or CUDA was unavailable), 1 when it failed.</summary>
    private static int Stage(string[] args)
    {
        if (args.Length == 0) throw new LossLandscapeException("stage needs a name: load, resnet or spectrum-data.");
        string name = args[0];
        string? result = null, folder = null;
        bool quick = false;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--result" when i + 1 < args.Length: result = args[++i]; break;
                case "--folder" when i + 1 < args.Length: folder = args[++i]; break;
                case "--quick": quick = true; break;
                default: throw new LossLandscapeException($"Unknown stage option '{args[i]}' (see --help).");
            }
        }
        if (result is null) throw new LossLandscapeException("stage needs --result FILE.");
        System.Text.Json.Nodes.JsonObject report;
        try
        {
            report = Stages.Run(name, quick, folder);
        }
        catch (Exception e) when (e is LossLandscapeException or System.Runtime.InteropServices.ExternalException or InvalidOperationException
                                   or NotSupportedException or TypeInitializationException or DllNotFoundException or EntryPointNotFoundException)
        {
            var message = $"{e.GetType().Name}: {e.Message}" + (e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "");
            report = new System.Text.Json.Nodes.JsonObject { ["status"] = "failed", ["error"] = message.Length > 4000 ? message[..4000] : message };
        }
        IO.AtomicFile.WriteAllText(result, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return report["status"]?.GetValue<string>() == "failed" ? 1 : 0;
    }
}
