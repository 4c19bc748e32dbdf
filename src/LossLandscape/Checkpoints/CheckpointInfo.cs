using System.Globalization;

namespace LossLandscape.Checkpoints;

/// <summary>
/// What a checkpoint records about the model it holds, in its safetensors metadata: the model spec
/// (a front end's model spec, for example <c>mlp:784-500-300-10</c>), the shape of one input example and the number of classes of the data it was
/// trained on. The trainer writes them into every checkpoint, so that a checkpoint can be probed without repeating
/// the spec and a probe on other data is refused before any computation.
/// </summary>
/// <param name="Model">Model spec text, or null when the checkpoint does not record it.</param>
/// <param name="InputShape">Shape of one example (without the leading P), or null.</param>
/// <param name="Classes">Number of classes, or null.</param>
public sealed record CheckpointInfo(string? Model, IReadOnlyList<long>? InputShape, int? Classes)
{
    /// <summary>Metadata key of the model spec.</summary>
    public const string ModelKey = "model";

    /// <summary>Metadata key of the input shape, written <c>1x28x28</c>.</summary>
    public const string InputShapeKey = "input_shape";

    /// <summary>Metadata key of the class count.</summary>
    public const string ClassesKey = "classes";

    /// <summary>Reads the record from the metadata of the safetensors file <paramref name="path"/> (tensors are not read).</summary>
    /// <exception cref="CheckpointException">The file is missing or not safetensors.</exception>
    public static CheckpointInfo Read(string path) => FromMetadata(Safetensors.ReadMetadata(path));

    /// <summary>The record in <paramref name="metadata"/>; entries that are absent or malformed read as null.</summary>
    public static CheckpointInfo FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string? model = metadata.TryGetValue(ModelKey, out var m) && !string.IsNullOrWhiteSpace(m) ? m.Trim() : null;
        long[]? shape = null;
        if (metadata.TryGetValue(InputShapeKey, out var s))
        {
            var parts = s.Split('x');
            var parsed = new long[parts.Length];
            bool ok = parts.Length > 0;
            for (int i = 0; i < parts.Length && ok; i++)
                ok = long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]) && parsed[i] > 0;
            if (ok) shape = parsed;
        }
        int? classes = metadata.TryGetValue(ClassesKey, out var c) && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 0 ? k : null;
        return new CheckpointInfo(model, shape, classes);
    }

    /// <summary>The metadata entries of this record (those that are known).</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var d = new Dictionary<string, string>();
        if (Model is not null) d[ModelKey] = Model;
        if (InputShape is not null) d[InputShapeKey] = FormatShape(InputShape);
        if (Classes is int k) d[ClassesKey] = k.ToString(CultureInfo.InvariantCulture);
        return d;
    }

    /// <summary>A shape written as <c>1x28x28</c>.</summary>
    public static string FormatShape(IReadOnlyList<long> shape) => string.Join("x", shape ?? Array.Empty<long>());
}
