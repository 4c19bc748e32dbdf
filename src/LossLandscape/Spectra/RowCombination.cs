using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>
/// The thick restart's two passes over the basis, as SIMD loops on contiguous CPU float32/float64 matrices: the Gram
/// matrix of its rows (<see cref="TryGram"/>), and Y = C X over its rows, in place (<see cref="TryCombine"/>): outputs a = 0..r-1 are rows <c>outputs[a]</c> of the
/// matrix, inputs k = 0..s-1 are rows <c>first + k</c>, and an output row may be an input row (the thick restart's
/// rotation of its basis into its own first rows), since each tile of columns is combined in registers and written only
/// after all its outputs are formed.
/// </summary>
/// <remarks>
/// <para>Why not the BLAS product: on the spectrum bench (r + 1 = 27 outputs from s = 40 rows of 545,810 floats), libtorch's
/// GEMM through a buffer of column blocks and the copy back from it took 19-31 ms per restart, against 10-11 ms for this
/// loop on one core (the GEMM alone, unblocked into a second basis, 14-18 ms); with K = 40 the BLAS product spends its
/// time packing, and it cannot write in place. Each output is the same sum in the same order in every column
/// (sum_k C_ak x_k, fused multiply-adds in the vectors' own precision), so rounding is as in a GEMM.</para>
/// <para>Tile: 2 SIMD vectors of columns times 8 outputs held in 16 accumulators; the 40 input rows of a tile are read from
/// memory once (the first group of outputs prefetches the tile 512 bytes ahead in every row, since 40 separate streams
/// are more than the hardware prefetcher follows: without it the loop took 15 ms) and from cache for the other groups.</para>
/// <para>Gram: blocks of 4 x 4 rows in 16 accumulators over 512 columns at a time (in cache for all the blocks), then
/// summed in float64. A float32 BLAS product would sum hundreds of thousands of products in float32, and converting the
/// basis to float64 for a DGEMM reads and writes it twice more; the restart needs the overlaps to a few eps, since the
/// new basis is orthonormal only as far as they are right.</para>
/// <para>Columns are split over <see cref="get_num_threads"/> workers (each with its own partial Gram matrix).</para>
/// </remarks>
internal static unsafe class RowCombination
{
    private const int Group = 8;
    private const int PrefetchBytes = 512;
    // Columns below which one worker does it all (splitting costs more than it saves).
    private const long ParallelColumns = 1 << 15;

    /// <summary>For tests: force the caller's fallback (libtorch's product) on this thread.</summary>
    [ThreadStatic]
    internal static bool Disabled;

    // Without the SIMD loops, libtorch's products run over blocks of columns through a buffer of at most 8 MiB whatever n
    // and r: small enough to come from the allocator's reused memory (below glibc's mmap threshold, 32 MiB at most) rather
    // than from fresh pages, which cost about 2 ms per MiB to touch on a VM (a buffer of r x 2^18 columns went over 32 MiB
    // from r = 32 and was mapped afresh at every restart); blocks of 2^14 columns at least. On 2 cores, blocks of 2^15 to
    // 2^18 columns cost a restart's products about the same.
    private const long BufferBytes = 8L << 20;
    private const long MinChunk = 1 << 14;

    /// <summary>
    /// Row a of C X into row <paramref name="outputs"/>[a], in place (as <see cref="TryCombine"/>): by the SIMD loop where it
    /// applies, else (another device or dtype) by libtorch's product in column blocks through a buffer.
    /// </summary>
    public static void Combine(Tensor matrix, int first, int inputs, double[] coefficients, int[] outputs)
    {
        if (TryCombine(matrix, first, inputs, coefficients, outputs)) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int r = outputs.Length;
        long n = matrix.shape[1];
        var c = tensor(coefficients, new long[] { r, inputs }, dtype: ScalarType.Float64).to(matrix.dtype, matrix.device);
        var rows = tensor(outputs.Select(o => (long)o).ToArray(), dtype: ScalarType.Int64).to(matrix.device);
        long chunk = Math.Min(n, Math.Max(MinChunk, BufferBytes / (matrix.ElementSize * r)));
        var buffer = empty(new long[] { r, chunk }, dtype: matrix.dtype, device: matrix.device);
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            long len = Math.Min(chunk, n - start);
            var block = matrix.narrow(1, start, len);
            var y = buffer.narrow(1, 0, len);
            y.addmm_(c, block.narrow(0, first, inputs), beta: 0, alpha: 1);
            block.index_copy_(0, rows, y);
        }
    }

    /// <summary>
    /// The Gram matrix of the first <paramref name="rows"/> rows, accumulated in float64 (as <see cref="TryGram"/>): by the
    /// SIMD loop where it applies, else by libtorch's products of column blocks converted to float64.
    /// </summary>
    public static double[,] Gram(Tensor matrix, int rows)
    {
        if (TryGram(matrix, rows) is { } fast) return fast;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long n = matrix.shape[1];
        var basis = matrix.narrow(0, 0, rows);
        var g = zeros(new long[] { rows, rows }, dtype: ScalarType.Float64, device: matrix.device);
        long chunk = Math.Min(n, Math.Max(MinChunk, BufferBytes / (8L * rows)));
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            var b = basis.narrow(1, start, Math.Min(chunk, n - start)).to(ScalarType.Float64);
            g.addmm_(b, b.t());
        }
        var flat = g.cpu().data<double>().ToArray();
        var result = new double[rows, rows];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < rows; k++)
                result[i, k] = 0.5 * (flat[i * rows + k] + flat[k * rows + i]);
        return result;
    }

    /// <summary>
    /// Writes row a of C X into row <paramref name="outputs"/>[a] of <paramref name="matrix"/>, where X is rows
    /// [<paramref name="first"/>, <paramref name="first"/> + s) and C is <paramref name="coefficients"/> (r x s, row-major).
    /// Returns false, having written nothing, where this loop does not apply (not a contiguous CPU float32 / float64
    /// matrix, or no 256-bit SIMD with fused multiply-add): the caller then forms the product itself.
    /// </summary>
    public static bool TryCombine(Tensor matrix, int first, int inputs, double[] coefficients, int[] outputs)
    {
        int r = outputs.Length;
        if (Disabled || r == 0 || inputs < 1 || coefficients.Length != r * inputs) return false;
        if (matrix.device_type != DeviceType.CPU || matrix.dim() != 2 || !matrix.is_contiguous()) return false;
        long rows = matrix.shape[0], n = matrix.shape[1];
        if (first < 0 || first + inputs > rows || outputs.Any(o => o < 0 || o >= rows)) return false;
        bool wide = Vector512.IsHardwareAccelerated;
        if (!wide && !(Vector256.IsHardwareAccelerated && Fma.IsSupported)) return false;
        using var scope = NewDisposeScope();
        switch (matrix.dtype)
        {
            case ScalarType.Float32:
            {
                using var storage = matrix.storage<float>();
                var p = (float*)storage.data_ptr() + matrix.storage_offset();
                var c = Padded(coefficients, r, inputs, x => (float)x);
                if (wide) Run<F32x16, Vector512<float>, float>(p, n, first, inputs, c, outputs);
                else Run<F32x8, Vector256<float>, float>(p, n, first, inputs, c, outputs);
                return true;
            }
            case ScalarType.Float64:
            {
                using var storage = matrix.storage<double>();
                var p = (double*)storage.data_ptr() + matrix.storage_offset();
                var c = Padded(coefficients, r, inputs, x => x);
                if (wide) Run<F64x8, Vector512<double>, double>(p, n, first, inputs, c, outputs);
                else Run<F64x4, Vector256<double>, double>(p, n, first, inputs, c, outputs);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>
    /// The Gram matrix X X^T of the first <paramref name="rows"/> rows of <paramref name="matrix"/>, accumulated in
    /// float64: products summed in the vectors' own precision over blocks of 512 columns per lane (32 products in float32
    /// lanes), then in float64, so that for unit rows each entry errs by a few eps of the dtype. Returns null where this
    /// loop does not apply (as <see cref="TryCombine"/>).
    /// </summary>
    public static double[,]? TryGram(Tensor matrix, int rows)
    {
        if (Disabled || rows < 1) return null;
        if (matrix.device_type != DeviceType.CPU || matrix.dim() != 2 || !matrix.is_contiguous() || rows > matrix.shape[0]) return null;
        bool wide = Vector512.IsHardwareAccelerated;
        if (!wide && !(Vector256.IsHardwareAccelerated && Fma.IsSupported)) return null;
        long n = matrix.shape[1];
        using var scope = NewDisposeScope();
        switch (matrix.dtype)
        {
            case ScalarType.Float32:
            {
                using var storage = matrix.storage<float>();
                var p = (float*)storage.data_ptr() + matrix.storage_offset();
                return wide ? Gram<F32x16, Vector512<float>, float>(p, n, rows) : Gram<F32x8, Vector256<float>, float>(p, n, rows);
            }
            case ScalarType.Float64:
            {
                using var storage = matrix.storage<double>();
                var p = (double*)storage.data_ptr() + matrix.storage_offset();
                return wide ? Gram<F64x8, Vector512<double>, double>(p, n, rows) : Gram<F64x4, Vector256<double>, double>(p, n, rows);
            }
            default:
                return null;
        }
    }

    private const int GramBlock = 512;

    private static double[,] Gram<TL, TV, T>(T* matrix, long n, int rows)
        where TL : struct, ILanes<TV, T> where TV : struct where T : unmanaged
    {
        int w = TL.Count;
        int parts = n < ParallelColumns ? 1 : Math.Clamp(get_num_threads(), 1, Environment.ProcessorCount);
        long per = (n / parts + w - 1) / w * w;
        var partial = new double[parts][];
        var x = (IntPtr)matrix;
        void Part(int i)
        {
            long start = Math.Min(n, i * per), end = i == parts - 1 ? n : Math.Min(n, start + per);
            partial[i] = GramColumns<TL, TV, T>((T*)x, n, rows, start, end);
        }
        if (parts == 1) Part(0);
        else Parallel.For(0, parts, Part);
        var g = new double[rows, rows];
        for (int i = 0; i < rows; i++)
            for (int k = i; k < rows; k++)
            {
                double v = 0;
                foreach (var p in partial) v += p[i * rows + k];
                g[i, k] = g[k, i] = v;
            }
        return g;
    }

    // The upper triangle (row-major, rows x rows) of the Gram matrix over columns [start, end), in blocks of 4 x 4 rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] GramColumns<TL, TV, T>(T* x, long ld, int rows, long start, long end)
        where TL : struct, ILanes<TV, T> where TV : struct where T : unmanaged
    {
        int w = TL.Count;
        var acc = new double[rows * rows];
        int blocks = (rows + 3) / 4;
        for (long c0 = start; c0 < end; c0 += GramBlock)
        {
            long len = Math.Min(GramBlock, end - c0);
            long whole = len / w * w;
            for (int bi = 0; bi < blocks; bi++)
            {
                // Rows past the last are read as the last row again; their products are dropped.
                T* i0 = x + Math.Min(4 * bi, rows - 1) * ld + c0, i1 = x + Math.Min(4 * bi + 1, rows - 1) * ld + c0;
                T* i2 = x + Math.Min(4 * bi + 2, rows - 1) * ld + c0, i3 = x + Math.Min(4 * bi + 3, rows - 1) * ld + c0;
                for (int bk = bi; bk < blocks; bk++)
                {
                    T* k0 = x + Math.Min(4 * bk, rows - 1) * ld + c0, k1 = x + Math.Min(4 * bk + 1, rows - 1) * ld + c0;
                    T* k2 = x + Math.Min(4 * bk + 2, rows - 1) * ld + c0, k3 = x + Math.Min(4 * bk + 3, rows - 1) * ld + c0;
                    TV a00 = TL.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                    TV a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                    for (long c = 0; c < whole; c += w)
                    {
                        TV y0 = TL.Load(k0 + c), y1 = TL.Load(k1 + c), y2 = TL.Load(k2 + c), y3 = TL.Load(k3 + c);
                        TV v = TL.Load(i0 + c);
                        a00 = TL.Fma(v, y0, a00); a01 = TL.Fma(v, y1, a01); a02 = TL.Fma(v, y2, a02); a03 = TL.Fma(v, y3, a03);
                        v = TL.Load(i1 + c);
                        a10 = TL.Fma(v, y0, a10); a11 = TL.Fma(v, y1, a11); a12 = TL.Fma(v, y2, a12); a13 = TL.Fma(v, y3, a13);
                        v = TL.Load(i2 + c);
                        a20 = TL.Fma(v, y0, a20); a21 = TL.Fma(v, y1, a21); a22 = TL.Fma(v, y2, a22); a23 = TL.Fma(v, y3, a23);
                        v = TL.Load(i3 + c);
                        a30 = TL.Fma(v, y0, a30); a31 = TL.Fma(v, y1, a31); a32 = TL.Fma(v, y2, a32); a33 = TL.Fma(v, y3, a33);
                    }
                    void Add(int t, int u, TV a)
                    {
                        int i = 4 * bi + t, k = 4 * bk + u;
                        if (i < rows && k < rows && i <= k) acc[i * rows + k] += TL.SumToDouble(a);
                    }
                    Add(0, 0, a00); Add(0, 1, a01); Add(0, 2, a02); Add(0, 3, a03);
                    Add(1, 0, a10); Add(1, 1, a11); Add(1, 2, a12); Add(1, 3, a13);
                    Add(2, 0, a20); Add(2, 1, a21); Add(2, 2, a22); Add(2, 3, a23);
                    Add(3, 0, a30); Add(3, 1, a31); Add(3, 2, a32); Add(3, 3, a33);
                }
            }
            // The columns of the last block past whole vectors, in float64.
            for (long c = c0 + whole; c < c0 + len; c++)
                for (int i = 0; i < rows; i++)
                {
                    double xi = TL.ToDouble(x[i * ld + c]);
                    for (int k = i; k < rows; k++) acc[i * rows + k] += xi * TL.ToDouble(x[k * ld + c]);
                }
        }
        return acc;
    }

    // C padded with zero rows to whole groups of outputs.
    private static T[] Padded<T>(double[] c, int r, int s, Func<double, T> convert)
    {
        var p = new T[(r + Group - 1) / Group * Group * s];
        for (int i = 0; i < r * s; i++) p[i] = convert(c[i]);
        return p;
    }

    private static void Run<TL, TV, T>(T* matrix, long n, int first, int s, T[] c, int[] outputs)
        where TL : struct, ILanes<TV, T> where TV : struct where T : unmanaged
    {
        int w = 2 * TL.Count;
        int parts = n < ParallelColumns ? 1 : Math.Clamp(get_num_threads(), 1, Environment.ProcessorCount);
        long per = (n / parts + w - 1) / w * w;
        var rows = new IntPtr[outputs.Length];
        for (int a = 0; a < rows.Length; a++) rows[a] = (IntPtr)(matrix + outputs[a] * n);
        var input = (IntPtr)(matrix + first * n);
        void Part(int i)
        {
            long start = Math.Min(n, i * per), end = i == parts - 1 ? n : Math.Min(n, start + per);
            fixed (T* coef = c)
            fixed (IntPtr* outs = rows)
                Columns<TL, TV, T>((T*)input, n, s, coef, (T**)outs, rows.Length, start, end);
        }
        if (parts == 1) Part(0);
        else Parallel.For(0, parts, Part);
    }

    // Columns [start, end): whole tiles straight from the matrix, the last partial tile through a zero-padded copy.
    private static void Columns<TL, TV, T>(T* x, long ld, int s, T* coef, T** outs, int r, long start, long end)
        where TL : struct, ILanes<TV, T> where TV : struct where T : unmanaged
    {
        int w = 2 * TL.Count;
        int groups = (r + Group - 1) / Group;
        var buffer = new T[groups * Group * w];
        fixed (T* tile = buffer)
            Columns<TL, TV, T>(x, ld, s, coef, outs, r, start, end, groups, tile);
    }

    private static void Columns<TL, TV, T>(T* x, long ld, int s, T* coef, T** outs, int r, long start, long end, int groups, T* tile)
        where TL : struct, ILanes<TV, T> where TV : struct where T : unmanaged
    {
        int w = 2 * TL.Count;
        long c = start;
        for (; c + w <= end; c += w)
        {
            Tile<TL, TV, T>(x + c, ld, s, coef, groups, tile, PrefetchBytes / sizeof(T));
            for (int a = 0; a < r; a++)
            {
                TL.Store(TL.Load(tile + a * w), outs[a] + c);
                TL.Store(TL.Load(tile + a * w + TL.Count), outs[a] + c + TL.Count);
            }
        }
        int left = (int)(end - c);
        if (left == 0) return;
        var padded = new T[s * w];
        fixed (T* p = padded)
        {
            for (int k = 0; k < s; k++)
                for (int i = 0; i < left; i++) p[k * w + i] = x[k * ld + c + i];
            Tile<TL, TV, T>(p, w, s, coef, groups, tile, 0);
        }
        for (int a = 0; a < r; a++)
            for (int i = 0; i < left; i++) outs[a][c + i] = tile[a * w + i];
    }

    // One tile of 2 vectors of columns: all groups of 8 outputs into tile (row a at a * 2 * lanes).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TL, TV, T>(T* x, long ld, int s, T* coef, int groups, T* tile, int prefetch)
        where TL : struct, ILanes<TV, T> where TV : struct where T : unmanaged
    {
        int v = TL.Count;
        for (int g = 0; g < groups; g++)
        {
            TV a0 = TL.Zero, a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
            TV e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
            T* cf = coef + g * Group * s;
            for (int k = 0; k < s; k++)
            {
                T* p = x + k * ld;
                if (g == 0 && prefetch > 0) TL.Prefetch(p + prefetch, 2 * v * sizeof(T));
                TV x0 = TL.Load(p), x1 = TL.Load(p + v);
                TV m = TL.Broadcast(cf[k]);
                a0 = TL.Fma(x0, m, a0); a1 = TL.Fma(x1, m, a1);
                m = TL.Broadcast(cf[s + k]);
                b0 = TL.Fma(x0, m, b0); b1 = TL.Fma(x1, m, b1);
                m = TL.Broadcast(cf[2 * s + k]);
                c0 = TL.Fma(x0, m, c0); c1 = TL.Fma(x1, m, c1);
                m = TL.Broadcast(cf[3 * s + k]);
                d0 = TL.Fma(x0, m, d0); d1 = TL.Fma(x1, m, d1);
                m = TL.Broadcast(cf[4 * s + k]);
                e0 = TL.Fma(x0, m, e0); e1 = TL.Fma(x1, m, e1);
                m = TL.Broadcast(cf[5 * s + k]);
                f0 = TL.Fma(x0, m, f0); f1 = TL.Fma(x1, m, f1);
                m = TL.Broadcast(cf[6 * s + k]);
                g0 = TL.Fma(x0, m, g0); g1 = TL.Fma(x1, m, g1);
                m = TL.Broadcast(cf[7 * s + k]);
                h0 = TL.Fma(x0, m, h0); h1 = TL.Fma(x1, m, h1);
            }
            T* t = tile + g * Group * 2 * v;
            TL.Store(a0, t); TL.Store(a1, t + v); t += 2 * v;
            TL.Store(b0, t); TL.Store(b1, t + v); t += 2 * v;
            TL.Store(c0, t); TL.Store(c1, t + v); t += 2 * v;
            TL.Store(d0, t); TL.Store(d1, t + v); t += 2 * v;
            TL.Store(e0, t); TL.Store(e1, t + v); t += 2 * v;
            TL.Store(f0, t); TL.Store(f1, t + v); t += 2 * v;
            TL.Store(g0, t); TL.Store(g1, t + v); t += 2 * v;
            TL.Store(h0, t); TL.Store(h1, t + v);
        }
    }

    private interface ILanes<TV, T> where TV : struct where T : unmanaged
    {
        static abstract int Count { get; }
        static abstract TV Zero { get; }
        static abstract TV Load(T* p);
        static abstract void Store(TV v, T* p);
        static abstract TV Broadcast(T x);
        static abstract TV Fma(TV a, TV b, TV c);
        static abstract double SumToDouble(TV v);
        static abstract double ToDouble(T x);

        /// <summary>Prefetches the cache lines of <paramref name="bytes"/> bytes from p (never faults).</summary>
        static virtual void Prefetch(T* p, int bytes)
        {
            if (!Sse.IsSupported) return;
            for (int o = 0; o < bytes; o += 64) Sse.Prefetch0((byte*)p + o);
        }
    }

    private struct F32x16 : ILanes<Vector512<float>, float>
    {
        public static int Count => Vector512<float>.Count;
        public static Vector512<float> Zero => Vector512<float>.Zero;
        public static Vector512<float> Load(float* p) => Vector512.Load(p);
        public static void Store(Vector512<float> v, float* p) => v.Store(p);
        public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
        public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
        public static double SumToDouble(Vector512<float> v)
        {
            var (lo, hi) = Vector512.Widen(v);
            return Vector512.Sum(lo) + Vector512.Sum(hi);
        }
        public static double ToDouble(float x) => x;
    }

    private struct F64x8 : ILanes<Vector512<double>, double>
    {
        public static int Count => Vector512<double>.Count;
        public static Vector512<double> Zero => Vector512<double>.Zero;
        public static Vector512<double> Load(double* p) => Vector512.Load(p);
        public static void Store(Vector512<double> v, double* p) => v.Store(p);
        public static Vector512<double> Broadcast(double x) => Vector512.Create(x);
        public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
        public static double SumToDouble(Vector512<double> v) => Vector512.Sum(v);
        public static double ToDouble(double x) => x;
    }

    private struct F32x8 : ILanes<Vector256<float>, float>
    {
        public static int Count => Vector256<float>.Count;
        public static Vector256<float> Zero => Vector256<float>.Zero;
        public static Vector256<float> Load(float* p) => Vector256.Load(p);
        public static void Store(Vector256<float> v, float* p) => v.Store(p);
        public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
        public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
        public static double SumToDouble(Vector256<float> v)
        {
            var (lo, hi) = Vector256.Widen(v);
            return Vector256.Sum(lo) + Vector256.Sum(hi);
        }
        public static double ToDouble(float x) => x;
    }

    private struct F64x4 : ILanes<Vector256<double>, double>
    {
        public static int Count => Vector256<double>.Count;
        public static Vector256<double> Zero => Vector256<double>.Zero;
        public static Vector256<double> Load(double* p) => Vector256.Load(p);
        public static void Store(Vector256<double> v, double* p) => v.Store(p);
        public static Vector256<double> Broadcast(double x) => Vector256.Create(x);
        public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
        public static double SumToDouble(Vector256<double> v) => Vector256.Sum(v);
        public static double ToDouble(double x) => x;
    }
}
