using System.Text;
using System.Text.Json;
using LossLandscape.IO;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>Where and how often a long spectrum or density run writes its state, so that it can resume exactly.</summary>
/// <param name="Directory">Folder of the state files (created if missing). A run that finds a matching state there resumes from it.</param>
/// <param name="Every">Write the state every this many operator applications (at least 1); it is also written when the run is cancelled.</param>
/// <param name="Tag">Anything else that identifies the problem (model, weights, data); a state with another tag is refused.</param>
public sealed record CheckpointOptions(string Directory, int Every = 10, string? Tag = null)
{
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
            throw new LossLandscapeException("Give a checkpoint directory.");
        if (Every < 1)
            throw new LossLandscapeException($"Checkpoint interval {Every} is not valid: give at least 1 step.");
    }

    /// <summary>Creates the folder and checks that it is writable, before any long work starts.</summary>
    /// <exception cref="LossLandscapeException">The folder cannot be created or written.</exception>
    public void EnsureWritable()
    {
        Validate();
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            var probe = Path.Combine(Directory, $".write-test.{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new LossLandscapeException($"Checkpoint directory '{Directory}' is not writable ({e.Message}); give a folder you can write to.");
        }
    }
}

/// <summary>
/// The state files of resumable runs: "LLSTATE1", the length of a UTF-8 JSON header (int64), the header, then the
/// raw bytes of the basis (rows x n elements of the run's dtype, little-endian as the CPU stores them). Written atomically.
/// </summary>
internal static class StateFile
{
    private static readonly byte[] Magic = "LLSTATE1"u8.ToArray();

    public static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Writes the header and the basis rows, then <paramref name="extra"/> as one row more when given (atomically).</summary>
    public static void Write<T>(string path, T header, Tensor? basis, Tensor? extra = null)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        long rows = basis?.shape[0] ?? 0, total = basis is null ? 0 : basis.NumberOfElements * basis.ElementSize;
        if (extra is not null) total += extra.NumberOfElements * extra.ElementSize;
        AtomicFile.Write(path, s =>
        {
            s.Write(Magic);
            s.Write(BitConverter.GetBytes((long)json.Length));
            s.Write(json);
            s.Write(BitConverter.GetBytes(total));
            for (long i = 0; i < rows; i++)
            {
                using var scope = NewDisposeScope();
                s.Write(basis![i].cpu().contiguous().bytes);
            }
            if (extra is not null)
                using (var scope = NewDisposeScope())
                    s.Write(extra.cpu().contiguous().bytes);
        });
    }

    /// <summary>Reads a state file; the basis comes back as a [rows, n] tensor of <paramref name="dtype"/> on <paramref name="device"/> (null when rows is 0).</summary>
    public static (T Header, Tensor? Basis) Read<T>(string path, Func<T, long> rows, long n, ScalarType dtype, Device device)
    {
        try
        {
            using var f = File.OpenRead(path);
            using var r = new BinaryReader(f, Encoding.UTF8);
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new LossLandscapeException($"'{path}' is not a state file of this library; delete it or give another checkpoint directory.");
            long hl = r.ReadInt64();
            if (hl < 0 || hl > f.Length) throw new EndOfStreamException();
            var header = JsonSerializer.Deserialize<T>(r.ReadBytes((int)hl), Json) ?? throw new EndOfStreamException();
            long bl = r.ReadInt64();
            long count = rows(header);
            long elem = dtype == ScalarType.Float64 ? 8 : dtype == ScalarType.Float32 ? 4 : 2;
            if (bl != count * n * elem || f.Length - f.Position != bl)
                throw new LossLandscapeException($"'{path}' holds {bl} bytes of basis where {count} vectors of {n} {dtype} values need {count * n * elem}; it belongs to another run: delete it or give another checkpoint directory.");
            if (count == 0) return (header, null);
            var t = empty(new[] { count, n }, dtype: dtype);
            for (long i = 0; i < count; i++)
            {
                using var row = t[i];
                row.bytes = r.ReadBytes((int)(n * elem));
            }
            if (device.type == TorchSharp.DeviceType.CPU) return (header, t);
            using (t) return (header, t.to(device));
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException)
        {
            throw new LossLandscapeException($"The state file '{path}' cannot be read ({e.Message}); delete it to start the run afresh.");
        }
    }
}
