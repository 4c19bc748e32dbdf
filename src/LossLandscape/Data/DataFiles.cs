using System.IO.Compression;

namespace LossLandscape.Data;

/// <summary>Reading raw data files: whole-file reads with transparent gzip, and error helpers.</summary>
internal static class DataFiles
{
    /// <summary>
    /// The bytes of <paramref name="path"/>, gunzipped when the file starts with the gzip magic 1f 8b (whatever its
    /// extension). Returns the buffer and the number of valid bytes in it.
    /// </summary>
    public static (byte[] Buffer, int Length) ReadAll(string path)
    {
        if (!File.Exists(path))
            throw new LossLandscapeException($"Data file '{path}' does not exist.");
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (IOException ex) { throw new LossLandscapeException($"Data file '{path}' cannot be read: {ex.Message}", ex); }
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return (raw, raw.Length);
        try
        {
            using var input = new MemoryStream(raw, writable: false);
            using var gz = new GZipStream(input, CompressionMode.Decompress);
            // Gzip stores the uncompressed size modulo 2^32 in its last 4 bytes: a good first guess for the buffer.
            long hint = raw.Length >= 18 ? BitConverter.ToUInt32(raw, raw.Length - 4) : 0;
            // Deflate expands at most about 1032-fold; a larger hint comes from a damaged trailer.
            long capacity = hint <= raw.Length * 1032L ? hint : raw.Length * 4L;
            using var output = new MemoryStream((int)Math.Clamp(capacity, 1024, int.MaxValue / 2));
            gz.CopyTo(output, 1 << 20);
            // A truncated gzip stream may decompress without an exception: the trailer's size field catches it.
            if (raw.Length >= 18 && (uint)output.Length != (uint)hint)
                throw new LossLandscapeException($"Data file '{path}' is a truncated or corrupt gzip stream: its last 4 bytes (the gzip size field at offset {raw.Length - 4}) say {hint} uncompressed bytes, decompression gave {output.Length}. Download the file again.");
            return (output.GetBuffer(), (int)output.Length);
        }
        catch (InvalidDataException ex)
        {
            throw new LossLandscapeException($"Data file '{path}' is not a valid gzip stream ({raw.Length} compressed bytes): {ex.Message} The file is corrupt or truncated; download it again.", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new LossLandscapeException($"Data file '{path}' is a truncated gzip stream ({raw.Length} compressed bytes); download it again.", ex);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading, through a gzip decoder when the file starts with the gzip magic
    /// 1f 8b (whatever its extension). <paramref name="gzip"/> says which.
    /// </summary>
    public static Stream Open(string path, out bool gzip)
    {
        if (!File.Exists(path))
            throw new LossLandscapeException($"Data file '{path}' does not exist.");
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20); }
        catch (IOException ex) { throw new LossLandscapeException($"Data file '{path}' cannot be read: {ex.Message}", ex); }
        Span<byte> magic = stackalloc byte[2];
        int n = fs.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        fs.Position = 0;
        gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        return gzip ? new GZipStream(fs, CompressionMode.Decompress) : fs;
    }

    /// <summary>
    /// Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read. A damaged gzip stream
    /// becomes a <see cref="LossLandscapeException"/> naming the file.
    /// </summary>
    public static int ReadFully(Stream stream, Span<byte> buffer, string path)
    {
        try { return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException ex)
        {
            throw new LossLandscapeException($"Data file '{path}' is not a valid gzip stream: {ex.Message} The file is corrupt or truncated; download it again.", ex);
        }
    }

    /// <summary>A big-endian 32-bit integer at <paramref name="offset"/>.</summary>
    public static int BigEndianInt32(byte[] b, int offset) =>
        (b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3];
}
