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

    /// <summary>Adds what every probe value depends on besides the weights: the data, the loss and the BatchNorm policy.</summary>
    public void Data(LandscapeProbe probe)
    {
        Source(probe.Train);
        if (probe.Test is not null) Source(probe.Test);
        Text(probe.Options.Loss.Name);
        Text($"{probe.PolicyName}:{probe.Options.RecomputeBatchSize}:{probe.Options.RecomputeBatches}");
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
