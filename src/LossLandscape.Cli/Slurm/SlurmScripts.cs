using System.Globalization;
using System.Text;

namespace LossLandscape.Cli.Slurm;

/// <summary>The Slurm options of a submission (passed through as <c>#SBATCH</c> lines).</summary>
/// <param name="Tasks">Tasks of the job array (shards).</param>
/// <param name="Dir">The job folder (absolute): scripts, shards/ and logs/.</param>
/// <param name="WorkingDirectory">The folder the jobs run in (absolute; relative paths of the command resolve there).</param>
/// <param name="JobName">The array job's name; the merge job's is JOBNAME-merge.</param>
/// <param name="Partition">--partition, or null.</param>
/// <param name="Time">--time, or null.</param>
/// <param name="Gres">--gres for the array tasks (for example gpu:1), or null.</param>
/// <param name="CpusPerTask">--cpus-per-task for the array tasks, or null.</param>
/// <param name="Mem">--mem, or null.</param>
/// <param name="Account">--account, or null.</param>
/// <param name="MaxRunning">Most array tasks running at once (the %K of --array), or null.</param>
/// <param name="Setup">Shell lines run before llscape in both scripts (module load ..., environment).</param>
/// <param name="Llscape">The shell words that run llscape on the nodes.</param>
public sealed record SlurmOptions(int Tasks, string Dir, string WorkingDirectory, string JobName, string? Partition, string? Time, string? Gres,
    int? CpusPerTask, string? Mem, string? Account, int? MaxRunning, IReadOnlyList<string> Setup, string Llscape);

/// <summary>
/// The two scripts of a split job: an array script whose task i runs part i of n, and a merge script, submitted with
/// <c>--dependency=afterok</c> on the array, that merges the parts.
/// </summary>
/// <param name="Command">The llscape command that was split (surface or interpolate).</param>
/// <param name="ArrayPath">Where the array script is written.</param>
/// <param name="ArrayScript">The array script.</param>
/// <param name="MergePath">Where the merge script is written.</param>
/// <param name="MergeScript">The merge script.</param>
/// <param name="PartPaths">The part files (or run folders) the tasks write, in task order.</param>
/// <param name="Outputs">What the merge job writes (the command's --json, --csv and --plot).</param>
public sealed record SlurmPlan(string Command, string ArrayPath, string ArrayScript, string MergePath, string MergeScript,
    IReadOnlyList<string> PartPaths, IReadOnlyList<string> Outputs)
{
    /// <summary>The folder of the part files (shard files, or run folders of a seeded training).</summary>
    public string PartsDir => Path.GetDirectoryName(PartPaths[0])!;

    /// <summary>The folder of the job logs.</summary>
    public string LogsDir => Path.Combine(Path.GetDirectoryName(ArrayPath)!, "logs");
}

/// <summary>Writes the sbatch scripts of a split job (pure text; nothing here touches files or runs Slurm).</summary>
public static class SlurmScripts
{
    /// <summary>The shell expression of the task's shard, as Slurm sets it for each array task.</summary>
    public const string TaskShard = "\"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\"";

    /// <summary>
    /// The plan of a command (surface, interpolate) split into <see cref="SlurmOptions.Tasks"/> shards: task i runs
    /// <c>COMMAND ... --shard i/n --json DIR/shards/shard-i.json</c>, the merge job runs <c>merge</c> over all shard
    /// files into <paramref name="outputs"/>.
    /// </summary>
    /// <param name="options">The Slurm options.</param>
    /// <param name="taskArgs">The command's arguments without --shard, --json, --csv and --plot (the command name first).</param>
    /// <param name="outputs">The merged result's outputs as merge options (--json FILE, --csv FILE, --plot FILE).</param>
    public static SlurmPlan Split(SlurmOptions options, IReadOnlyList<string> taskArgs, IReadOnlyList<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(taskArgs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (taskArgs.Count == 0) throw new ArgumentException("The command name is missing.", nameof(taskArgs));
        string command = taskArgs[0];
        var shards = Path.Combine(options.Dir, "shards");
        var parts = Enumerable.Range(0, options.Tasks).Select(i => Path.Combine(shards, $"shard-{i}.json")).ToArray();
        string n = options.Tasks.ToString(CultureInfo.InvariantCulture);
        var task = new StringBuilder(options.Llscape);
        foreach (var a in taskArgs) task.Append(' ').Append(Quote(a));
        task.Append(" --shard ").Append(TaskShard).Append(" --json ").Append(QuoteExpanding(Path.Combine(shards, "shard-$SLURM_ARRAY_TASK_ID.json")));
        return Build(options, command,
            new[]
            {
                $"Task i of this {n}-task array computes shard i/{n} of the {command} into",
                $"{shards}/shard-i.json. A re-queued or re-run task resumes from the points it already wrote, and a",
                "complete shard is not computed again: to finish missing shards, submit this whole script again.",
            },
            new[] { task.ToString() },
            new[] { $"Merges the {n} shards of the {command}; submitted with --dependency=afterok on the array job.", "Needs only the shard files (no checkpoint, no data)." },
            parts, outputs);
    }

    /// <summary>
    /// The plan of a training run repeated over seeds: task i trains with <c>--seed BASE+i</c> into
    /// <c>OUT/seed-(BASE+i)</c>, resuming from that folder's latest checkpoint when there is one; the merge job runs
    /// <c>merge</c> over the run folders, which summarizes the seeds' final metrics.
    /// </summary>
    /// <param name="options">The Slurm options.</param>
    /// <param name="taskArgs">The train arguments without --seed, --out and --resume (the command name first).</param>
    /// <param name="baseSeed">The first seed.</param>
    /// <param name="runs">The folder that receives the run folders seed-S (absolute or relative to the working directory).</param>
    /// <param name="outputs">The summary's outputs as merge options (--json FILE, --csv FILE).</param>
    public static SlurmPlan Seeds(SlurmOptions options, IReadOnlyList<string> taskArgs, long baseSeed, string runs, IReadOnlyList<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(taskArgs);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(outputs);
        string n = options.Tasks.ToString(CultureInfo.InvariantCulture);
        string b = baseSeed.ToString(CultureInfo.InvariantCulture);
        var parts = Enumerable.Range(0, options.Tasks).Select(i => Path.Combine(runs, $"seed-{baseSeed + i}")).ToArray();
        var train = new StringBuilder(options.Llscape);
        foreach (var a in taskArgs) train.Append(' ').Append(Quote(a));
        train.Append(" --seed \"$seed\" --out \"$out\"");
        var body = new[]
        {
            $"seed=$(({b} + SLURM_ARRAY_TASK_ID))",
            $"out={QuoteExpanding(Path.Combine(runs, "seed-$seed"))}",
            "if [ -f \"$out/checkpoints/latest.json\" ]; then",
            $"  exec {train} --resume",
            "fi",
            "if [ -e \"$out\" ]; then",
            "  echo \"llscape: $out holds no checkpoint to resume from; moved to $out.incomplete.$SLURM_JOB_ID\" >&2",
            "  mv \"$out\" \"$out.incomplete.$SLURM_JOB_ID\"",
            "fi",
            $"exec {train}",
        };
        return Build(options, "train",
            new[]
            {
                $"Task i of this {n}-task array trains seed {b}+i into {runs}/seed-SEED. A re-queued or re-run",
                "task resumes from the run's latest checkpoint (write them with --checkpoint-every K); a finished run",
                "only reports itself. To finish missing seeds, submit this whole script again.",
            },
            body,
            new[] { $"Summarizes the {n} runs (final metrics per seed, mean and spread); submitted with", "--dependency=afterok on the array job." },
            parts, outputs);
    }

    private static SlurmPlan Build(SlurmOptions options, string command, IReadOnlyList<string> arrayNote, IReadOnlyList<string> body,
        IReadOnlyList<string> mergeNote, IReadOnlyList<string> parts, IReadOnlyList<string> outputs)
    {
        string n = options.Tasks.ToString(CultureInfo.InvariantCulture);
        var arrayPath = Path.Combine(options.Dir, "array.sbatch");
        var mergePath = Path.Combine(options.Dir, "merge.sbatch");
        var array = new StringBuilder();
        array.Append("#!/bin/bash\n");
        array.Append(Sbatch("job-name", options.JobName));
        array.Append(Sbatch("array", $"0-{options.Tasks - 1}" + (options.MaxRunning is int k ? $"%{k.ToString(CultureInfo.InvariantCulture)}" : "")));
        array.Append(Sbatch("chdir", options.WorkingDirectory));
        array.Append(Sbatch("output", Path.Combine(options.Dir, "logs", "task-%a.out")));
        array.Append(Sbatch("open-mode", "append"));
        array.Append(Sbatch("requeue", null));
        array.Append(Common(options));
        if (options.Gres is not null) array.Append(Sbatch("gres", options.Gres));
        if (options.CpusPerTask is int c) array.Append(Sbatch("cpus-per-task", c.ToString(CultureInfo.InvariantCulture)));
        array.Append("# Written by llscape slurm submit. ");
        for (int i = 0; i < arrayNote.Count; i++) array.Append(i == 0 ? "" : "# ").Append(arrayNote[i]).Append('\n');
        array.Append("set -euo pipefail\n");
        array.Append($"if [ \"${{SLURM_ARRAY_TASK_COUNT:-}}\" != \"{n}\" ]; then\n");
        array.Append($"  echo \"llscape: this script is an array of {n} tasks (SLURM_ARRAY_TASK_COUNT=${{SLURM_ARRAY_TASK_COUNT:-unset}}); submit it whole: sbatch {Quote(arrayPath)}\" >&2\n");
        array.Append("  exit 2\n");
        array.Append("fi\n");
        foreach (var line in options.Setup) array.Append(line).Append('\n');
        foreach (var line in body) array.Append(line).Append('\n');

        var merge = new StringBuilder();
        merge.Append("#!/bin/bash\n");
        merge.Append(Sbatch("job-name", options.JobName + "-merge"));
        merge.Append(Sbatch("chdir", options.WorkingDirectory));
        merge.Append(Sbatch("output", Path.Combine(options.Dir, "logs", "merge.out")));
        merge.Append(Sbatch("open-mode", "append"));
        merge.Append(Common(options));
        merge.Append("# Written by llscape slurm submit. ");
        for (int i = 0; i < mergeNote.Count; i++) merge.Append(i == 0 ? "" : "# ").Append(mergeNote[i]).Append('\n');
        merge.Append("set -euo pipefail\n");
        foreach (var line in options.Setup) merge.Append(line).Append('\n');
        merge.Append(options.Llscape).Append(" merge");
        foreach (var p in parts) merge.Append(' ').Append(Quote(p));
        foreach (var o in outputs) merge.Append(' ').Append(Quote(o));
        merge.Append('\n');

        return new SlurmPlan(command, arrayPath, array.ToString(), mergePath, merge.ToString(), parts,
            outputs.Where((_, i) => i % 2 == 1).ToArray());
    }

    /// <summary>Quotes one word for bash: unchanged when it is plain, else in single quotes.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && word.All(ch => char.IsAsciiLetterOrDigit(ch) || "-_./:=,+@%".Contains(ch))) return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The sbatch arguments that submit the merge job after the array job <paramref name="arrayJobId"/> succeeded.</summary>
    public static string[] MergeSubmitArgs(SlurmPlan plan, string arrayJobId) =>
        new[] { "--parsable", $"--dependency=afterok:{arrayJobId}", plan.MergePath };

    /// <summary>The sbatch arguments that submit the array job.</summary>
    public static string[] ArraySubmitArgs(SlurmPlan plan) => new[] { "--parsable", plan.ArrayPath };

    /// <summary>The job id in sbatch --parsable output (<c>ID</c> or <c>ID;CLUSTER</c>), or null.</summary>
    public static string? ParseJobId(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        var id = line.Split(';')[0];
        return id.Length > 0 && id.All(char.IsAsciiDigit) ? id : null;
    }

    private static string Common(SlurmOptions o)
    {
        var sb = new StringBuilder();
        if (o.Partition is not null) sb.Append(Sbatch("partition", o.Partition));
        if (o.Account is not null) sb.Append(Sbatch("account", o.Account));
        if (o.Time is not null) sb.Append(Sbatch("time", o.Time));
        if (o.Mem is not null) sb.Append(Sbatch("mem", o.Mem));
        return sb.ToString();
    }

    private static string Sbatch(string name, string? value) => value is null ? $"#SBATCH --{name}\n" : $"#SBATCH --{name}={value}\n";

    /// <summary>Double quotes for a word that holds a $VARIABLE to expand (the rest must need no escaping).</summary>
    private static string QuoteExpanding(string word) =>
        "\"" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal) + "\"";
}
