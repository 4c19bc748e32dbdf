using System.ComponentModel;
using LossLandscape.Runtime;
using LossLandscape.Specs;
using Spectre.Console.Cli;

namespace LossLandscape.Cli;

/// <summary>Options every command takes.</summary>
public class GlobalSettings : CommandSettings
{
    /// <summary>Device spec.</summary>
    [CommandOption("--device <DEVICE>")]
    [Description("auto (CUDA when available, else CPU), cpu, cuda or cuda:N. Default: auto.")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";

    /// <summary>Seed.</summary>
    [CommandOption("--seed <SEED>")]
    [Description("Seed for every generator (Torch CPU and CUDA, host). Default: 0.")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    /// <summary>Threads.</summary>
    [CommandOption("--threads <N>")]
    [Description("Intra-op threads Torch may use. Default: Torch's choice.")]
    public int? Threads { get; init; }

    /// <summary>Dtype.</summary>
    [CommandOption("--dtype <DTYPE>")]
    [Description("float32 (default) or float64.")]
    [DefaultValue("float32")]
    public string DType { get; init; } = "float32";

    /// <summary>Hand freed host memory back to the system at once.</summary>
    [CommandOption("--release-host-memory")]
    [Description("Hand freed host memory back to the system at once (glibc's default). Without it the allocator keeps up to 1 GiB of freed memory for reuse: CPU steps are faster (no page faults on reused memory; see the README's benchmarks) but the resident size stays at its peak.")]
    public bool ReleaseHostMemory { get; init; }

    /// <summary>Verbose errors.</summary>
    [CommandOption("--verbose")]
    [Description("Print stack traces with errors.")]
    public bool Verbose { get; init; }

    /// <summary>The runtime options these settings describe.</summary>
    public RuntimeOptions ToRuntimeOptions() => new(Device, Seed, Threads, DType, RetainHostMemory: !ReleaseHostMemory);
}
