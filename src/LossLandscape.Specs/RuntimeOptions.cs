using LossLandscape.Runtime;
using static TorchSharp.torch;

namespace LossLandscape.Specs;

/// <summary>
/// The runtime choices of one run, as given on a command line or in an options file.
/// </summary>
/// <param name="Device">Device spec: <see cref="RuntimeSpec.DeviceSyntax"/>.</param>
/// <param name="Seed">Seed for every generator.</param>
/// <param name="Threads">Intra-op thread count, or null for Torch's default.</param>
/// <param name="DType">Name of the floating dtype: <see cref="RuntimeSpec.DTypeSyntax"/>.</param>
/// <param name="RetainHostMemory">
/// Let the allocator keep freed host memory for reuse (<see cref="TorchRuntime.RetainFreedHostMemory"/>): faster steps,
/// resident memory that does not shrink after a peak. A process-wide setting that cannot be undone, so it is opt-in
/// (off by default); the command line and the samples turn it on.
/// </param>
public sealed record RuntimeOptions(string Device = "auto", long Seed = 0, int? Threads = null, string DType = "float32", bool RetainHostMemory = false)
{
    /// <summary>Validates and applies the options; returns the resolved device, dtype and host generator.</summary>
    public ResolvedRuntime Apply()
    {
        var dtype = RuntimeSpec.ParseDType(DType);
        var device = RuntimeSpec.ResolveDevice(Device);
        if (Threads is int t) TorchRuntime.SetThreads(t);
        if (RetainHostMemory) TorchRuntime.RetainFreedHostMemory();
        var rng = TorchRuntime.Seed(Seed);
        return new ResolvedRuntime(device, dtype, rng);
    }
}
