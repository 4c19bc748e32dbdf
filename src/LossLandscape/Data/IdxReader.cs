using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), gzipped or not: big-endian
/// 32-bit header fields, then unsigned bytes. Images: magic 0x00000803, count, rows, columns, then count x rows x
/// columns pixels. Labels: magic 0x00000801, count, then count labels.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned-byte images (3 dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned-byte labels (1 dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>
    /// Reads images as float32 <c>[P, 1, rows, cols]</c> on the CPU, pixels scaled to [0, 1] (x = byte / 255).
    /// </summary>
    /// <exception cref="LossLandscapeException">Missing file, wrong magic number, or a size that does not match the header.</exception>
    public static Tensor ReadImages(string path)
    {
        // Streamed: the pixels are decompressed straight into the tensor's memory (no intermediate buffer).
        using var stream = DataFiles.Open(path, out bool gzip);
        var header = new byte[16];
        int length = DataFiles.ReadFully(stream, header, path);
        int magic = length >= 4 ? DataFiles.BigEndianInt32(header, 0) : -1;
        if (length >= 4 && magic != ImagesMagic)
            throw new LossLandscapeException($"IDX image file '{path}' has magic number 0x{magic:x8} at offset 0, expected 0x{ImagesMagic:x8} (unsigned-byte images){(magic == LabelsMagic ? "; this is a label file" : "")}.");
        if (length < 16)
            throw new LossLandscapeException($"IDX image file '{path}' has {length} bytes, fewer than its 16-byte header; the file is truncated.");
        int count = DataFiles.BigEndianInt32(header, 4), rows = DataFiles.BigEndianInt32(header, 8), cols = DataFiles.BigEndianInt32(header, 12);
        if (count < 0 || rows <= 0 || cols <= 0 || (long)count * rows * cols > int.MaxValue)
            throw new LossLandscapeException($"IDX image file '{path}' has an invalid header: {count} images of {rows} x {cols}.");
        long pixels = (long)count * rows * cols;
        long expected = 16L + pixels;
        using var raw = empty(new long[] { count, 1, rows, cols }, dtype: ScalarType.Byte);
        long got = pixels == 0 ? 0 : DataFiles.ReadFully(stream, raw.bytes, path);
        long extra = got < pixels ? 0 : CountRest(stream, path);
        if (got < pixels)
        {
            long found = 16 + got;
            long image = got / ((long)rows * cols);
            throw new LossLandscapeException($"IDX image file '{path}' should have {expected} bytes (16-byte header + {count} images of {rows} x {cols}), found {found}{(gzip ? " after decompression" : "")}; " +
                $"it is truncated: image {image} at offset {16 + image * rows * cols} is incomplete.");
        }
        if (extra > 0)
            throw new LossLandscapeException($"IDX image file '{path}' should have {expected} bytes (16-byte header + {count} images of {rows} x {cols}), found {expected + extra}; {extra} unexpected bytes follow offset {expected}.");
        return raw.to(ScalarType.Float32).div_(255.0);
    }

    private static long CountRest(Stream stream, string path)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = DataFiles.ReadFully(stream, buffer, path)) > 0) total += n;
        return total;
    }

    /// <summary>Reads labels as int64 <c>[P]</c> on the CPU and checks that each is below <paramref name="numClasses"/>.</summary>
    /// <exception cref="LossLandscapeException">Missing file, wrong magic number, wrong size, or a label out of range.</exception>
    public static Tensor ReadLabels(string path, int numClasses)
    {
        var (b, length) = DataFiles.ReadAll(path);
        int magic = length >= 4 ? DataFiles.BigEndianInt32(b, 0) : -1;
        if (length >= 4 && magic != LabelsMagic)
            throw new LossLandscapeException($"IDX label file '{path}' has magic number 0x{magic:x8} at offset 0, expected 0x{LabelsMagic:x8} (unsigned-byte labels){(magic == ImagesMagic ? "; this is an image file" : "")}.");
        if (length < 8)
            throw new LossLandscapeException($"IDX label file '{path}' has {length} bytes, fewer than its 8-byte header; the file is truncated.");
        int count = DataFiles.BigEndianInt32(b, 4);
        if (count < 0)
            throw new LossLandscapeException($"IDX label file '{path}' has an invalid header: {count} labels.");
        long expected = 8L + count;
        if (length != expected)
            throw new LossLandscapeException($"IDX label file '{path}' should have {expected} bytes (8-byte header + {count} labels), found {length}; " +
                (length < expected ? $"it is truncated after offset {length}." : $"{length - expected} unexpected bytes follow offset {expected}."));
        for (int i = 0; i < count; i++)
            if (b[8 + i] >= numClasses)
                throw new LossLandscapeException($"IDX label file '{path}': label {i} (offset {8 + i}) is {b[8 + i]}, outside [0, {numClasses}).");
        var raw = empty(new long[] { count }, dtype: ScalarType.Byte);
        if (count > 0) raw.bytes = new Span<byte>(b, 8, count);
        using (raw)
            return raw.to(ScalarType.Int64);
    }

    /// <summary>
    /// Reads an image file and its label file into a <see cref="Dataset"/> (CPU, float32 inputs <c>[P, 1, H, W]</c>).
    /// </summary>
    /// <exception cref="LossLandscapeException">A file is bad, or the two files disagree on the count.</exception>
    public static Dataset Read(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        var x = ReadImages(imagesPath);
        Tensor y;
        try { y = ReadLabels(labelsPath, classNames.Count); }
        catch { x.Dispose(); throw; }
        if (x.shape[0] != y.shape[0])
        {
            long nx = x.shape[0], ny = y.shape[0];
            x.Dispose(); y.Dispose();
            throw new LossLandscapeException($"IDX files disagree: '{imagesPath}' has {nx} images but '{labelsPath}' has {ny} labels.");
        }
        return new Dataset(name, x, y, classNames);
    }
}
