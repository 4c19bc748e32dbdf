using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Runtime;

/// <summary>
/// Process-wide Torch settings: CUDA availability, seeding of every generator involved, thread count and the host allocator.
/// </summary>
public static class TorchRuntime
{
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

