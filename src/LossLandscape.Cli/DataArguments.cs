using LossLandscape.Data;
using LossLandscape.Runtime;
using LossLandscape.Specs;

namespace LossLandscape.Cli;

/// <summary>Which part of a data source a command argument means.</summary>
public enum DataPart
{
    /// <summary>The training set.</summary>
    Train,
    /// <summary>The test set; for a source without one (a file with only x and y), its examples.</summary>
    Test,
}

/// <summary>
/// The one place where the command line turns a data argument (<c>NAME</c> of the catalog, <c>synthetic:...</c> or
/// <c>FILE.safetensors</c>) into a data set on the run's device and dtype.
/// </summary>
public static class DataArguments
{
    /// <summary>
    /// Loads <paramref name="spec"/> through the <see cref="DataCatalog"/> (looking in <paramref name="dataDir"/> first),
    /// keeps <paramref name="part"/>, optionally a seeded class-balanced subset of <paramref name="subset"/> examples,
    /// and moves it to the run's device and dtype.
    /// </summary>
    /// <exception cref="LossLandscapeException">Unknown name, missing or bad files, an empty set.</exception>
    /// <remarks>
    /// When <paramref name="weights"/> names a checkpoint whose metadata records an input normalization (written by
    /// <c>llscape train</c> with preprocessing on), the data is normalized the same way, so a probe sees the inputs the
    /// model was trained on.
    /// </remarks>
    /// <param name="spec">The data argument.</param>
    /// <param name="part">Which split.</param>
    /// <param name="runtime">The run's device and dtype.</param>
    /// <param name="dataDir">A folder searched first.</param>
    /// <param name="subset">--subset: a seeded class-balanced sample of this many examples (the first ones when fewer than the classes).</param>
    /// <param name="seed">The seed of the sample.</param>
    /// <param name="weights">A checkpoint whose recorded normalization is applied.</param>
    /// <param name="first">--first: the first this many examples in the data's order (not with <paramref name="subset"/>).</param>
    public static Dataset Resolve(string spec, DataPart part, ResolvedRuntime runtime, string? dataDir = null, long? subset = null, long seed = 0, string? weights = null, long? first = null)
    {
        if (subset is not null && first is not null)
            throw new LossLandscapeException($"--subset {subset} and --first {first} both choose the examples: give one of them (--subset: a seeded class-balanced sample; --first: the first N).");
        if (first is long f && f < 1) throw new LossLandscapeException($"--first {f} is not valid: give at least 1 example.");
        if (subset is long s0 && s0 < 1) throw new LossLandscapeException($"--subset {s0} is not valid: give at least 1 example.");
        var raw = ResolveRaw(spec, part, runtime, dataDir, subset, seed, first);
        if (weights is null || !File.Exists(weights)) return raw;
        var metadata = LossLandscape.Checkpoints.Safetensors.ReadMetadata(weights);
        // Data of another shape than the checkpoint was trained on is refused by ModelSource.Build, which names both.
        if (LossLandscape.Checkpoints.CheckpointInfo.FromMetadata(metadata).InputShape is { } trained && !trained.SequenceEqual(raw.ExampleShape)) return raw;
        var normalized = LossLandscape.Training.TrainingData.NormalizeLike(raw, metadata);
        if (normalized is null) return raw;
        raw.Dispose();
        return normalized;
    }

    /// <summary>The catalog's usual places with <paramref name="dataDir"/> (--data-dir) first; a --data-dir that is not a folder is an error rather than silently skipped.</summary>
    /// <exception cref="LossLandscapeException"><paramref name="dataDir"/> is given and is not an existing folder.</exception>
    public static DataCatalogOptions CatalogOptions(string? dataDir)
    {
        if (dataDir is not null && !Directory.Exists(dataDir))
            throw new LossLandscapeException($"--data-dir '{dataDir}' is not a folder: give the folder that holds the data set (as DIR/NAME or DIR itself), or leave --data-dir out.");
        return DataCatalogOptions.FromEnvironment(dataDir);
    }

    private static Dataset ResolveRaw(string spec, DataPart part, ResolvedRuntime runtime, string? dataDir, long? subset, long seed, long? first)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (string.IsNullOrWhiteSpace(spec))
            throw new LossLandscapeException($"No data given: pass one of {DataCatalog.Syntax}.");
        using var split = new DataCatalog(CatalogOptions(dataDir)).Load(spec);
        var chosen = part == DataPart.Test && split.Test.Count > 0 ? split.Test : split.Train;
        if (chosen.Count == 0)
            throw new LossLandscapeException($"Data '{spec}' has no {(part == DataPart.Test ? "test" : "training")} examples.");
        if (first is long f && f < chosen.Count)
        {
            using var head = chosen.Take(f);
            return head.To(runtime.Device, runtime.DType);
        }
        if (subset is long n)
        {
            if (n < chosen.Count)
            {
                using var sub = n >= chosen.NumClasses ? chosen.BalancedSubset(n, seed) : chosen.Take(n);
                return sub.To(runtime.Device, runtime.DType);
            }
        }
        return chosen.To(runtime.Device, runtime.DType);
    }
}
