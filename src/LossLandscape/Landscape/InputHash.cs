using System.Security.Cryptography;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>
/// The SHA-256 of a result's inputs (the fingerprint that shard merges compare): lines of text and tensors bit for
/// bit (dtype and shape first, then the bytes of a contiguous CPU copy).
/// </summary>
internal sealed class InputHash : IDisposable
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Starts a hash with the kind of result (<c>llscape-grid-v1</c>, <c>llscape-line-v1</c>).</summary>
    public InputHash(string kind) => Text(kind);

    /// <summary>Adds a line of text.</summary>
    public void Text(string s) => hash.AppendData(System.Text.Encoding.UTF8.GetBytes(s + "\n"));

    /// <summary>Adds a tensor: dtype, shape and bytes.</summary>
    public void Bytes(Tensor t)
    {
        using var scope = NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        Text($"{c.dtype}[{string.Join(",", c.shape)}]");
        hash.AppendData(c.bytes);
    }

    /// <summary>Adds a point in weight space: its parameters and its buffers by name, bit for bit.</summary>
    public void Point(ModelPoint point)
    {
        Bytes(point.Theta);
        foreach (var (name, t) in (point.Buffers ?? new Dictionary<string, Tensor>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Text(name);
            Bytes(t);
        }
    }

    /// <summary>Adds what every probe value depends on besides the weights: the data, the loss and the BatchNorm policy.</summary>
    public void Data(LandscapeProbe probe)
    {
        Source(probe.Train);
        if (probe.Test is not null) Source(probe.Test);
        Text(probe.Options.Loss.Name);
        Text($"{probe.PolicyName}:{probe.Options.RecomputeBatchSize}:{probe.Options.RecomputeBatches}");
    }

    /// <summary>
    /// Adds what every application of a curvature operator depends on: its kind, the loss, the weights and buffers, the
    /// parameters it covers, the data batch by batch, the batch size and the BatchNorm mode.
    /// </summary>
    public void Operator(Curvature.CurvatureOperator op)
    {
        Text($"{op.Name}:{op.Loss.Name}:{op.DType}:{op.Options.BatchSize}:{op.Options.BatchNorm}:{op.Examples}");
        Text(string.Join(",", op.Space.Blocks.Select(b => b.Name)));
        using (var scope = NewDisposeScope()) Bytes(op.Space.Get());
        foreach (var (name, t) in op.Model.named_buffers().OrderBy(kv => kv.name, StringComparer.Ordinal))
        {
            Text(name);
            Bytes(t);
        }
        Source(op.Data);
    }

    /// <summary>Adds a batch source: its count, then every batch's inputs and targets in order (so the batching counts too).</summary>
    public void Source(Data.BatchSource data)
    {
        Text($"data:{data.Count}");
        data.ForEach((x, y) =>
        {
            Bytes(x);
            Bytes(y);
        });
    }

    /// <summary>The hash as lower-case hex.</summary>
    public string Finish() => Convert.ToHexStringLower(hash.GetHashAndReset());

    /// <inheritdoc />
    public void Dispose() => hash.Dispose();
}
