using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LossLandscape.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
/// length N, a JSON header of N bytes mapping names to <c>{dtype, shape, data_offsets}</c>, then the raw
/// little-endian tensor data. Files written by PyTorch's <c>safetensors.torch.save_file</c> load directly.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Writes <paramref name="tensors"/> (copied to the CPU, contiguous) atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            var cpuT = t.detach().cpu().contiguous();
            var bytes = cpuT.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeCode(t.dtype, name),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes.LongLength)),
            };
            blobs.Add(bytes);
            offset += bytes.LongLength;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to a multiple of 8 bytes, as the reference implementation does.
        int pad = (8 - json.Length % 8) % 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
            s.Write(len);
            s.Write(json);
            for (int i = 0; i < pad; i++) s.WriteByte((byte)' ');
            foreach (var b in blobs) s.Write(b);
        });
    }

    /// <summary>Reads the metadata map of a safetensors file (empty when it has none).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        var (header, _) = ReadHeader(path);
        var result = new Dictionary<string, string>();
        if (header.TryGetPropertyValue("__metadata__", out var m) && m is JsonObject meta)
            foreach (var (k, v) in meta) result[k] = v?.ToString() ?? "";
        return result;
    }

    /// <summary>
    /// Reads every tensor of a safetensors file onto the CPU, in the file's dtypes.
    /// </summary>
    /// <exception cref="CheckpointException">The file is missing, truncated or not in the safetensors format.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var (header, dataStart) = ReadHeader(path);
        var entries = new List<(string Name, ScalarType DType, long[] Shape, long Begin, long End)>();
        long fileLength = new FileInfo(path).Length;
        long dataLength = fileLength - dataStart;
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            if (node is not JsonObject o || o["dtype"] is null || o["shape"] is not JsonArray shapeNode || o["data_offsets"] is not JsonArray offs || offs.Count != 2)
                throw Bad(path, CheckpointErrorKind.NotSafetensors, $"header entry '{name}' lacks dtype, shape or data_offsets");
            var dtype = ParseDType(o["dtype"]!.GetValue<string>(), path, name);
            long[] shape;
            long begin, end;
            try
            {
                shape = shapeNode.Select(n => n!.GetValue<long>()).ToArray();
                begin = offs[0]!.GetValue<long>();
                end = offs[1]!.GetValue<long>();
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw Bad(path, CheckpointErrorKind.NotSafetensors, $"header entry '{name}' has a malformed shape or data_offsets");
            }
            long numel = shape.Aggregate(1L, (a, b) => a * b);
            long expected = numel * ElementSize(dtype);
            if (begin < 0 || end < begin || end - begin != expected)
                throw Bad(path, CheckpointErrorKind.NotSafetensors, $"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtype} needs {expected} bytes, its data_offsets [{begin}, {end}] give {end - begin}");
            if (end > dataLength)
                throw Bad(path, CheckpointErrorKind.Truncated, $"tensor '{name}' ends at data offset {end} (file offset {dataStart + end}), but the file has only {fileLength} bytes; the file is truncated");
            entries.Add((name, dtype, shape, begin, end));
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        foreach (var e in entries.OrderBy(e => e.Begin))
        {
            var buffer = new byte[e.End - e.Begin];
            fs.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            fs.ReadExactly(buffer);
            var t = empty(e.Shape, dtype: e.DType);
            if (buffer.Length > 0) t.bytes = buffer;
            result[e.Name] = t;
        }
        return result;
    }

    private static (JsonObject Header, long DataStart) ReadHeader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new CheckpointException(CheckpointErrorKind.FileNotFound, path, $"Checkpoint file '{path}' does not exist.");
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (fs.Length < 8)
            throw Bad(path, CheckpointErrorKind.NotSafetensors, $"the file has {fs.Length} bytes, fewer than the 8-byte header length");
        Span<byte> len = stackalloc byte[8];
        fs.ReadExactly(len);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n == 0 || n > (ulong)MaxHeaderBytes || (long)n > fs.Length - 8)
            throw Bad(path, CheckpointErrorKind.NotSafetensors, $"the header length field says {n} bytes, but the file has {fs.Length - 8} bytes after it");
        var json = new byte[n];
        fs.ReadExactly(json);
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException ex)
        {
            throw Bad(path, CheckpointErrorKind.NotSafetensors, $"the header is not valid JSON ({ex.Message})");
        }
        if (node is not JsonObject obj)
            throw Bad(path, CheckpointErrorKind.NotSafetensors, "the header is not a JSON object");
        return (obj, 8 + (long)n);
    }

    private static CheckpointException Bad(string path, CheckpointErrorKind kind, string what) =>
        new(kind, path, $"'{path}' is not a valid safetensors file: {what}.");

    internal static string DTypeCode(ScalarType dtype, string name) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new LossLandscapeException($"Tensor '{name}' has dtype {dtype}, which safetensors cannot store."),
    };

    private static ScalarType ParseDType(string code, string path, string name) => code switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw Bad(path, CheckpointErrorKind.UnsupportedDType, $"tensor '{name}' has dtype '{code}', which is not supported (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL are)"),
    };

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
