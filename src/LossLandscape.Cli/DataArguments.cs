using LossLandscape.Data;
using LossLandscape.Runtime;

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
    public static Dataset Resolve(string spec, DataPart part, ResolvedRuntime runtime, string? dataDir = null, long? subset = null, long seed = 0, string? weights = null)
    {
        var raw = ResolveRaw(spec, part, runtime, dataDir, subset, seed);
        if (weights is null || !File.Exists(weights)) return raw;
        var normalized = LossLandscape.Training.TrainingData.NormalizeLike(raw, LossLandscape.Checkpoints.Safetensors.ReadMetadata(weights));
        if (normalized is null) return raw;
        raw.Dispose();
        return normalized;
    }

    private static Dataset ResolveRaw(string spec, DataPart part, ResolvedRuntime runtime, string? dataDir, long? subset, long seed)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (string.IsNullOrWhiteSpace(spec))
            throw new LossLandscapeException($"No data given: pass one of {DataCatalog.Syntax}.");
        using var split = new DataCatalog(DataCatalogOptions.FromEnvironment(dataDir)).Load(spec);
        var chosen = part == DataPart.Test && split.Test.Count > 0 ? split.Test : split.Train;
        if (chosen.Count == 0)
            throw new LossLandscapeException($"Data '{spec}' has no {(part == DataPart.Test ? "test" : "training")} examples.");
        if (subset is long n)
        {
            if (n < 1) throw new LossLandscapeException($"--subset {n} is not valid: give at least 1 example.");
            if (n < chosen.Count)
            {
                using var sub = n >= chosen.NumClasses ? chosen.BalancedSubset(n, seed) : chosen.Take(n);
                return sub.To(runtime.Device, runtime.DType);
            }
        }
        return chosen.To(runtime.Device, runtime.DType);
    }
}
