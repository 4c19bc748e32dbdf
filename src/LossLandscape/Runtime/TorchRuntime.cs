using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Runtime;

/// <summary>
/// Process-wide Torch settings: device selection, seeding of every generator involved, thread count and dtype.
/// </summary>
public static class TorchRuntime
{
    /// <summary>The device specifications <see cref="ResolveDevice"/> accepts.</summary>
    public const string DeviceSyntax = "auto (CUDA when available, else CPU), cpu, cuda or cuda:N";

    /// <summary>The dtype names <see cref="ParseDType"/> accepts.</summary>
    public const string DTypeSyntax = "float32 (default) or float64";

    /// <summary>True when a CUDA device can be used by this process.</summary>
    public static bool CudaAvailable
    {
        get
        {
            try { return cuda.is_available(); }
            catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or DllNotFoundException or TypeInitializationException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Resolves <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> to a device. <c>auto</c> picks CUDA when available.
    /// </summary>
    /// <exception cref="LossLandscapeException">The spec is malformed, or CUDA was asked for and is not available.</exception>
    public static Device ResolveDevice(string? spec)
    {
        var s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s is "" or "auto") return CudaAvailable ? CUDA : CPU;
        if (s == "cpu") return CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (s.Length > 4 && (!int.TryParse(s.AsSpan(5), out index) || index < 0))
                throw new LossLandscapeException($"Device '{spec}' is not valid: use {DeviceSyntax}.");
            if (!CudaAvailable)
                throw new LossLandscapeException(
                    $"Device '{spec}' was asked for, but CUDA is not available in this process (TorchSharp-cpu backend or no GPU). " +
                    "Use --device cpu, or build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU.");
            var count = cuda.device_count();
            if (index >= count)
                throw new LossLandscapeException($"Device '{spec}' was asked for, but only {count} CUDA device(s) exist (cuda:0 to cuda:{count - 1}).");
            return new Device(DeviceType.CUDA, index);
        }
        throw new LossLandscapeException($"Device '{spec}' is not valid: use {DeviceSyntax}.");
    }

    /// <summary>Parses <c>float32</c> / <c>float64</c> (also <c>f32</c>, <c>f64</c>, <c>float</c>, <c>double</c>).</summary>
    /// <exception cref="LossLandscapeException">Any other name.</exception>
    public static ScalarType ParseDType(string? name) => (name ?? "float32").Trim().ToLowerInvariant() switch
    {
        "" or "float32" or "f32" or "float" or "single" => ScalarType.Float32,
        "float64" or "f64" or "double" => ScalarType.Float64,
        _ => throw new LossLandscapeException($"Dtype '{name}' is not supported: use {DTypeSyntax}."),
    };

    /// <summary>The canonical name of a floating dtype (<c>float32</c>, <c>float64</c>, ...).</summary>
    public static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Seeds every generator involved: Torch's CPU generator, every CUDA generator when CUDA is available, and
    /// returns a host-side <see cref="Random"/> derived from the same seed for .NET-side draws.
    /// </summary>
    public static Random Seed(long seed)
    {
        manual_seed(seed);
        if (CudaAvailable) cuda.manual_seed_all(seed);
        return new Random(unchecked((int)(seed ^ (seed >> 32))));
    }

    /// <summary>Sets the number of intra-op threads Torch uses (at least 1).</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 1)
            throw new LossLandscapeException($"Thread count {threads} is not valid: give a whole number of at least 1.");
        set_num_threads(threads);
    }

    /// <summary>How much freed memory <see cref="RetainFreedHostMemory"/> lets the allocator keep by default: 1 GiB.</summary>
    public const long DefaultRetainedBytes = 1L << 30;

    /// <summary>
    /// Lets the C allocator keep freed host memory for reuse instead of handing it back to the operating system after
    /// every large free. CPU tensors are allocated with malloc: with glibc's defaults, a tensor of a few MiB is freed back
    /// to the system as soon as the heap's free top exceeds about twice the largest recent block, and the next step pays
    /// a page fault for every 4 KiB page again. Keeping up to <paramref name="retainedBytes"/> of free heap (and serving
    /// blocks below 32 MiB from the heap) makes a Hessian-vector product of an MLP about 15 % faster on a 2-core machine
    /// (see the curvature benchmark). The cost: the process's resident memory does not shrink after a peak, by up to
    /// <paramref name="retainedBytes"/>.
    /// </summary>
    /// <remarks>
    /// Process-wide and not undone. Calls glibc's <c>mallopt(M_TRIM_THRESHOLD)</c> and <c>mallopt(M_MMAP_THRESHOLD)</c>;
    /// on another C library or operating system it does nothing. GPU memory is not affected (Torch caches it anyway).
    /// </remarks>
    /// <param name="retainedBytes">Most free memory kept at the top of the heap (at least 32 MiB, at most 2 GiB - 1).</param>
    /// <returns>True when the allocator took the settings (Linux with glibc), false where they do not apply.</returns>
    /// <exception cref="LossLandscapeException"><paramref name="retainedBytes"/> is out of range.</exception>
    public static bool RetainFreedHostMemory(long retainedBytes = DefaultRetainedBytes)
    {
        if (retainedBytes < MmapThresholdBytes || retainedBytes > int.MaxValue)
            throw new LossLandscapeException($"Retained memory {retainedBytes} bytes is not valid: give between {MmapThresholdBytes} (32 MiB) and {int.MaxValue} bytes.");
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // Setting either threshold also turns off glibc's dynamic adjustment of both, so both are set.
            return Glibc.mallopt(Glibc.M_MMAP_THRESHOLD, MmapThresholdBytes) == 1
                && Glibc.mallopt(Glibc.M_TRIM_THRESHOLD, (int)retainedBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl or another C library: nothing to tune
        }
    }

    private const int MmapThresholdBytes = 32 << 20;

    private static class Glibc
    {
        public const int M_TRIM_THRESHOLD = -1;
        public const int M_MMAP_THRESHOLD = -3;

        [DllImport("libc.so.6", ExactSpelling = true)]
        public static extern int mallopt(int param, int value);
    }
}

/// <summary>
/// The runtime choices of one run, as given on a command line or in an options file.
/// </summary>
/// <param name="Device">Device spec: <see cref="TorchRuntime.DeviceSyntax"/>.</param>
/// <param name="Seed">Seed for every generator.</param>
/// <param name="Threads">Intra-op thread count, or null for Torch's default.</param>
/// <param name="DType">Name of the floating dtype: <see cref="TorchRuntime.DTypeSyntax"/>.</param>
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
        var dtype = TorchRuntime.ParseDType(DType);
        var device = TorchRuntime.ResolveDevice(Device);
        if (Threads is int t) TorchRuntime.SetThreads(t);
        if (RetainHostMemory) TorchRuntime.RetainFreedHostMemory();
        var rng = TorchRuntime.Seed(Seed);
        return new ResolvedRuntime(device, dtype, rng);
    }
}

/// <summary>The outcome of <see cref="RuntimeOptions.Apply"/>.</summary>
/// <param name="Device">The device to compute on.</param>
/// <param name="DType">The floating dtype of models and data.</param>
/// <param name="HostRandom">Host-side generator seeded from the run's seed.</param>
public sealed record ResolvedRuntime(Device Device, ScalarType DType, Random HostRandom);
