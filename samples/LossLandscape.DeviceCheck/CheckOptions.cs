using System.Globalization;

namespace LossLandscape.DeviceCheck;

/// <summary>The options of <c>run</c>.</summary>
internal sealed record CheckOptions
{
    /// <summary>The unpacked bundle (holds dotnet/, app/, native/).</summary>
    public string Bundle { get; init; } = "";

    /// <summary>A folder holding libtorch's libraries; null: ask <see cref="Python"/>.</summary>
    public string? LibTorch { get; init; }

    /// <summary>The interpreter that imports torch.</summary>
    public string Python { get; init; } = "python3";

    /// <summary>The LibTorchSharp to load; null: the bundle's native/libLibTorchSharp.so.</summary>
    public string? LibTorchSharp { get; init; }

    /// <summary>Where check.json (and a rebuilt LibTorchSharp with its log) go.</summary>
    public string Out { get; init; } = "gpu-check";

    /// <summary>Scratch folder for the stages' files; null: a new folder under the system's temporary folder, removed at the end.</summary>
    public string? Work { get; init; }

    /// <summary>Seconds the whole check may take.</summary>
    public double Budget { get; init; } = 540;

    /// <summary>auto (when the link check finds missing symbols and the sources are in the bundle), never or always.</summary>
    public string Rebuild { get; init; } = "auto";

    /// <summary>Small sizes (the CPU self-test).</summary>
    public bool Quick { get; init; }

    /// <summary>Count CUDA that is not available as a failure (on a GPU machine).</summary>
    public bool RequireCuda { get; init; }

    /// <summary>Parses the arguments after <c>run</c>.</summary>
    /// <exception cref="LossLandscapeException">An unknown option, a missing or bad value.</exception>
    public static CheckOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CheckOptions { Bundle = DefaultBundle() };
        for (int i = 0; i < args.Count; i++)
        {
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new LossLandscapeException($"{args[i]} needs a value (see --help).");
                return args[++i];
            }
            switch (args[i])
            {
                case "--bundle": o = o with { Bundle = Value() }; break;
                case "--libtorch": o = o with { LibTorch = Value() }; break;
                case "--python": o = o with { Python = Value() }; break;
                case "--libtorchsharp": o = o with { LibTorchSharp = Value() }; break;
                case "--out": o = o with { Out = Value() }; break;
                case "--work": o = o with { Work = Value() }; break;
                case "--budget":
                    var b = Value();
                    if (!double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || !(s >= 30) || s > 3600)
                        throw new LossLandscapeException($"--budget {b} is not valid: give seconds between 30 and 3600.");
                    o = o with { Budget = s };
                    break;
                case "--rebuild":
                    var m = Value().Trim().ToLowerInvariant();
                    if (m is not ("auto" or "never" or "always"))
                        throw new LossLandscapeException($"--rebuild {m} is not valid: use auto, never or always.");
                    o = o with { Rebuild = m };
                    break;
                case "--quick": o = o with { Quick = true }; break;
                case "--require-cuda": o = o with { RequireCuda = true }; break;
                default: throw new LossLandscapeException($"Unknown option '{args[i]}' (see --help).");
            }
        }
        return o;
    }

    /// <summary>The bundle this program runs from: the folder above app/ when it holds dotnet/ and native/.</summary>
    private static string DefaultBundle()
    {
        var app = AppContext.BaseDirectory.TrimEnd('/');
        var root = Path.GetDirectoryName(app) ?? app;
        return root;
    }
}
