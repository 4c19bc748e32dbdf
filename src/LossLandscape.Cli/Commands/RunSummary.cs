using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LossLandscape.Training;

namespace LossLandscape.Cli.Commands;

/// <summary>The final metrics of one training run (its last evaluated history record).</summary>
/// <param name="Run">The run folder.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Step">The step of the record.</param>
/// <param name="TrainLoss">Training loss.</param>
/// <param name="TrainAccuracy">Training accuracy.</param>
/// <param name="TestLoss">Test loss, or null.</param>
/// <param name="TestAccuracy">Test accuracy, or null.</param>
public sealed record RunFinal(string Run, long Seed, long Step, double? TrainLoss, double? TrainAccuracy, double? TestLoss, double? TestAccuracy);

/// <summary>The metrics of runs that differ only in their seed: each run's final record, their mean and sample standard deviation.</summary>
/// <param name="Runs">The runs, in the order given.</param>
/// <param name="Mean">Mean over the runs of each metric.</param>
/// <param name="Std">Sample standard deviation (n - 1) of each metric, or null values for a single run.</param>
public sealed record RunSummary(IReadOnlyList<RunFinal> Runs, RunFinal Mean, RunFinal Std)
{
    /// <summary>
    /// Reads finished run folders (written by <c>llscape train --out</c>) and summarizes them.
    /// </summary>
    /// <exception cref="LossLandscapeException">A run is missing or unfinished (named), or the runs were trained with options that differ in more than the seed.</exception>
    public static RunSummary Read(IReadOnlyList<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        if (folders.Count == 0) throw new LossLandscapeException("No run folder to merge.");
        var missing = folders.Where(f => !File.Exists(Path.Combine(f, "model.safetensors")) || !File.Exists(Path.Combine(f, "history.json")) || !File.Exists(Path.Combine(f, "options.json")))
            .ToArray();
        if (missing.Length > 0)
            throw new LossLandscapeException($"Runs missing or unfinished (no options.json, history.json or final model.safetensors): {string.Join(", ", missing)}; train them (again) and merge again.");
        string? reference = null;
        var runs = new List<RunFinal>();
        foreach (var f in folders)
        {
            var (seed, key) = SeedAndRest(Path.Combine(f, "options.json"));
            reference ??= key;
            if (key != reference)
                throw new LossLandscapeException($"Run '{f}' was trained with other options than '{folders[0]}' (not only another seed); merge runs of one split only.");
            var last = TrainingHistory.FromJson(File.ReadAllText(Path.Combine(f, "history.json"))).LastOrDefault(r => r.TrainLoss is not null)
                ?? throw new LossLandscapeException($"Run '{f}' has no evaluated step in history.json.");
            runs.Add(new RunFinal(f, seed, last.Step, last.TrainLoss, last.TrainAccuracy, last.TestLoss, last.TestAccuracy));
        }
        double? Mean(Func<RunFinal, double?> m) => runs.All(r => m(r) is not null) ? runs.Average(r => m(r)!.Value) : null;
        double? Std(Func<RunFinal, double?> m)
        {
            var mean = Mean(m);
            if (mean is null || runs.Count < 2) return null;
            return Math.Sqrt(runs.Sum(r => Math.Pow(m(r)!.Value - mean.Value, 2)) / (runs.Count - 1));
        }
        var step = runs.Max(r => r.Step);
        return new RunSummary(runs,
            new RunFinal("mean", 0, step, Mean(r => r.TrainLoss), Mean(r => r.TrainAccuracy), Mean(r => r.TestLoss), Mean(r => r.TestAccuracy)),
            new RunFinal("std", 0, step, Std(r => r.TrainLoss), Std(r => r.TrainAccuracy), Std(r => r.TestLoss), Std(r => r.TestAccuracy)));
    }

    /// <summary>
    /// The seed in a run's <c>options.json</c>, and the rest of the options as canonical JSON without the seed, the
    /// device and the thread count (what runs of one split may differ in).
    /// </summary>
    private static (long Seed, string Others) SeedAndRest(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new LossLandscapeException($"'{path}' is not valid JSON ({ex.Message}).");
        }
        long? seed = null;
        void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var name in o.Select(kv => kv.Key).ToArray())
                {
                    if (name.Equals("seed", StringComparison.OrdinalIgnoreCase))
                    {
                        if (seed is null && o[name] is JsonValue v && v.TryGetValue<long>(out var s)) seed = s;
                        o.Remove(name);
                    }
                    else if (name.Equals("device", StringComparison.OrdinalIgnoreCase) || name.Equals("threads", StringComparison.OrdinalIgnoreCase)) o.Remove(name);
                    else Strip(o[name]);
                }
            }
            else if (node is JsonArray a)
            {
                foreach (var item in a) Strip(item);
            }
        }
        Strip(root);
        if (seed is null) throw new LossLandscapeException($"'{path}' names no seed; it is not the options.json of an llscape train run.");
        return (seed.Value, root!.ToJsonString());
    }

    /// <summary>CSV: <c>run,seed,step,trainLoss,trainAccuracy,testLoss,testAccuracy</c>, one row per run, then the mean and std rows.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("run,seed,step,trainLoss,trainAccuracy,testLoss,testAccuracy\n");
        foreach (var r in Runs.Append(Mean).Append(Std))
        {
            var seed = r == Mean || r == Std ? "" : r.Seed.ToString(CultureInfo.InvariantCulture);
            sb.Append(Quote(r.Run)).Append(',').Append(seed).Append(',').Append(r.Step.ToString(CultureInfo.InvariantCulture));
            foreach (var v in new[] { r.TrainLoss, r.TrainAccuracy, r.TestLoss, r.TestAccuracy })
                sb.Append(',').Append(v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
