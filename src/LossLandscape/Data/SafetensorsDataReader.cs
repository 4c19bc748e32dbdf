using LossLandscape.Checkpoints;
using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Reads a user's own data set from a safetensors file: a floating tensor <c>x</c> of shape <c>[P, d]</c> or
/// <c>[P, C, H, W]</c>, an integer tensor <c>y</c> of shape <c>[P]</c> with labels in [0, k), and optionally
/// <c>x_test</c> and <c>y_test</c> for a test set. The number of classes k is the number of names in the metadata
/// entry <c>class_names</c> (comma-separated) when present, else max(y) + 1 over both sets.
/// </summary>
public static class SafetensorsDataReader
{
    /// <summary>Reads the file into a split (CPU; inputs keep their float dtype). Without test tensors the test set is empty and <see cref="DataSplit.Note"/> says so.</summary>
    /// <exception cref="LossLandscapeException">The file is not valid safetensors, lacks x or y, or the tensors do not fit.</exception>
    public static DataSplit Read(string path)
    {
        var tensors = Safetensors.Load(path);
        try
        {
            var meta = Safetensors.ReadMetadata(path);
            var x = Take(tensors, "x", path) ?? throw new LossLandscapeException($"Safetensors data file '{path}' has no tensor 'x'; it has {Names(tensors)}. Save the inputs as 'x' [P, ...] (float) and the labels as 'y' [P] (int64).");
            var y = Take(tensors, "y", path) ?? throw new LossLandscapeException($"Safetensors data file '{path}' has no tensor 'y'; it has {Names(tensors)}. Save the labels as 'y' [P] (int64).");
            var xt = Take(tensors, "x_test", path);
            var yt = Take(tensors, "y_test", path);
            if ((xt is null) != (yt is null))
                throw new LossLandscapeException($"Safetensors data file '{path}' has only one of 'x_test' and 'y_test'; give both or neither.");
            if (xt is null || yt is null)
            {
                xt = empty(x.shape.Select((s, i) => i == 0 ? 0L : s).ToArray(), dtype: x.dtype);
                yt = empty(0, dtype: ScalarType.Int64);
                tensors["x_test"] = xt;
                tensors["y_test"] = yt;
            }
            Check(x, y, "x", "y", path);
            Check(xt, yt, "x_test", "y_test", path);
            if (!xt.shape.Skip(1).SequenceEqual(x.shape.Skip(1)))
                throw new LossLandscapeException($"Safetensors data file '{path}': 'x_test' has example shape [{string.Join(", ", xt.shape.Skip(1))}], 'x' has [{string.Join(", ", x.shape.Skip(1))}].");
            y = y.to(ScalarType.Int64, copy: true);
            yt = yt.to(ScalarType.Int64, copy: true);
            long minLabel = Math.Min(y.numel() > 0 ? y.min().item<long>() : 0, yt.numel() > 0 ? yt.min().item<long>() : 0);
            long maxLabel = Math.Max(y.numel() > 0 ? y.max().item<long>() : -1, yt.numel() > 0 ? yt.max().item<long>() : -1);
            if (minLabel < 0)
                throw new LossLandscapeException($"Safetensors data file '{path}': labels must be in [0, k); found {minLabel}.");
            IReadOnlyList<string> names;
            if (meta.TryGetValue("class_names", out var cn) && cn.Length > 0)
            {
                names = cn.Split(',').Select(s => s.Trim()).ToList();
                if (maxLabel >= names.Count)
                    throw new LossLandscapeException($"Safetensors data file '{path}': label {maxLabel} is outside [0, {names.Count}) given by the {names.Count} class_names in its metadata.");
            }
            else
            {
                names = Enumerable.Range(0, (int)Math.Max(1, maxLabel + 1)).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            }
            string stem = Path.GetFileNameWithoutExtension(path);
            var train = new Dataset($"{stem}/train", x.clone(), y, names);
            var test = new Dataset($"{stem}/test", xt.clone(), yt, names);
            foreach (var t in tensors.Values) t.Dispose();
            return new DataSplit(train, test, path)
            {
                Note = test.Count == 0 ? $"'{path}' has no x_test/y_test tensors: the test set is empty." : null,
            };
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    private static Tensor? Take(Dictionary<string, Tensor> tensors, string key, string path)
    {
        if (!tensors.TryGetValue(key, out var t)) return null;
        if (t.dim() == 0)
            throw new LossLandscapeException($"Safetensors data file '{path}': '{key}' is a scalar; it must have a leading example dimension P.");
        return t;
    }

    private static string Names(Dictionary<string, Tensor> tensors) =>
        tensors.Count == 0 ? "no tensors" : "tensors " + string.Join(", ", tensors.Keys.Select(k => $"'{k}'"));

    private static void Check(Tensor x, Tensor y, string xn, string yn, string path)
    {
        if (!x.is_floating_point())
            throw new LossLandscapeException($"Safetensors data file '{path}': '{xn}' must be floating point (float32 or float64); found {x.dtype}.");
        if (x.dim() < 2)
            throw new LossLandscapeException($"Safetensors data file '{path}': '{xn}' must be [P, d] or [P, C, H, W]; found shape [{string.Join(", ", x.shape)}].");
        if (y.is_floating_point() || y.dtype == ScalarType.Bool || y.is_complex())
            throw new LossLandscapeException($"Safetensors data file '{path}': '{yn}' must hold integer labels (int64); found {y.dtype}.");
        if (y.dim() != 1 || y.shape[0] != x.shape[0])
            throw new LossLandscapeException($"Safetensors data file '{path}': '{yn}' must be [P] with P = {x.shape[0]} (the examples of '{xn}'); found shape [{string.Join(", ", y.shape)}].");
    }
}
