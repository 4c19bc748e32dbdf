using static TorchSharp.torch;

namespace LossLandscape.Checkpoints;

/// <summary>
/// Saves and loads a model's state dict (parameters and buffers) as safetensors, with the same names PyTorch uses, so
/// a checkpoint written by <c>safetensors.torch.save_file(model.state_dict(), path)</c> loads directly.
/// </summary>
public static class Checkpoint
{
    /// <summary>Writes the state dict of <paramref name="module"/> atomically (temporary file, then rename).</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Safetensors.Save(path, module.state_dict(), metadata);
    }

    /// <summary>
    /// Loads a safetensors state dict into <paramref name="module"/>. Values are converted to each target tensor's
    /// dtype and device (a float32 file loads into a float64 model). Nothing is written into the model unless every
    /// check passes.
    /// </summary>
    /// <exception cref="CheckpointException">
    /// The file is missing or not safetensors; keys are missing or unexpected (each listed); a shape differs (both
    /// shapes named); a weight is NaN or Inf and <see cref="CheckpointLoadOptions.AllowNonFinite"/> is off.
    /// </exception>
    public static void Load(nn.Module module, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        options ??= new CheckpointLoadOptions();
        var loaded = Safetensors.Load(path);
        try
        {
            var target = module.state_dict();
            var missing = target.Keys.Where(k => !loaded.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            var unexpected = loaded.Keys.Where(k => !target.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (options.Strict && missing.Count > 0)
                throw new CheckpointException(CheckpointErrorKind.MissingKeys, path,
                    $"Checkpoint '{path}' lacks {missing.Count} key(s) the model has: {string.Join(", ", missing)}. Check that the model spec matches the checkpoint.");
            if (options.Strict && unexpected.Count > 0)
                throw new CheckpointException(CheckpointErrorKind.UnexpectedKeys, path,
                    $"Checkpoint '{path}' has {unexpected.Count} key(s) the model does not: {string.Join(", ", unexpected)}. Check that the model spec matches the checkpoint.");
            foreach (var (name, t) in target)
            {
                if (!loaded.TryGetValue(name, out var src)) continue;
                if (!src.shape.SequenceEqual(t.shape))
                    throw new CheckpointException(CheckpointErrorKind.ShapeMismatch, path,
                        $"Checkpoint '{path}': tensor '{name}' has shape [{string.Join(", ", src.shape)}], the model expects [{string.Join(", ", t.shape)}].");
                if (!options.AllowNonFinite && src.is_floating_point())
                {
                    using var finite = isfinite(src).all();
                    if (!finite.item<bool>())
                        throw new CheckpointException(CheckpointErrorKind.NonFinite, path,
                            $"Checkpoint '{path}': tensor '{name}' holds NaN or Inf values; refusing to load it (CheckpointLoadOptions.AllowNonFinite accepts such weights).");
                }
            }
            using var _ = no_grad();
            foreach (var (name, t) in target)
            {
                if (!loaded.TryGetValue(name, out var src)) continue;
                using var converted = src.to(t.dtype, t.device);
                t.copy_(converted);
            }
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }
}
