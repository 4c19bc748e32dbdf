using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LossLandscape.Cli.Slurm;
using LossLandscape.IO;
using LossLandscape.Landscape;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LossLandscape.Cli.Commands;

/// <summary>
/// <c>llscape slurm submit [options] -- surface ...</c>: splits a command into a Slurm job array (task i computes
/// part i of n) and a merge job that runs after the array succeeded (<c>--dependency=afterok</c>).
/// </summary>
public sealed class SlurmSubmitCommand : Command<SlurmSubmitCommand.Settings>
{
    /// <summary>The commands that split, with what each task and the merge job do.</summary>
    public const string Splittable = "surface (over its grid points), interpolate (over its coefficients), barriers (over every pair's coefficients), trace --estimator hutchinson and density (over their probes), where task i runs the command with --shard i/n and the merge job runs llscape merge; and train (over seeds), where task i trains seed --seed + i into OUT/seed-S and the merge job summarizes the runs";

    /// <summary>Options.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>Array size.</summary>
        [CommandOption("--tasks <N>")]
        [Description("Tasks of the job array: N shards of a surface, interpolate, barriers, trace or density (task i computes shard i), or N seeds of a train run (task i trains --seed + i).")]
        public int? Tasks { get; init; }

        /// <summary>Job folder.</summary>
        [CommandOption("--dir <DIR>")]
        [Description("Job folder for array.sbatch, merge.sbatch, shards/ and logs/, on a file system every node sees. Submitting again into the same folder skips the shards (or training runs) already complete.")]
        public string? Dir { get; init; }

        /// <summary>Partition.</summary>
        [CommandOption("--partition <NAME>")]
        [Description("Slurm partition (sbatch --partition) of both jobs. Default: the cluster's default partition.")]
        public string? Partition { get; init; }

        /// <summary>Time limit.</summary>
        [CommandOption("--time <LIMIT>")]
        [Description("Time limit of each task and of the merge job (sbatch --time), for example 02:00:00.")]
        public string? Time { get; init; }

        /// <summary>Generic resources.</summary>
        [CommandOption("--gres <GRES>")]
        [Description("Generic resources of each array task (sbatch --gres), for example gpu:1. The merge job gets none.")]
        public string? Gres { get; init; }

        /// <summary>CPUs per task.</summary>
        [CommandOption("--cpus-per-task <N>")]
        [Description("CPUs of each array task (sbatch --cpus-per-task). Pass the same number to the command as --threads.")]
        public int? CpusPerTask { get; init; }

        /// <summary>Memory.</summary>
        [CommandOption("--mem <SIZE>")]
        [Description("Memory of each job (sbatch --mem), for example 16G.")]
        public string? Mem { get; init; }

        /// <summary>Account.</summary>
        [CommandOption("--account <NAME>")]
        [Description("Account to charge (sbatch --account).")]
        public string? Account { get; init; }

        /// <summary>Job name.</summary>
        [CommandOption("--job-name <NAME>")]
        [Description("Name of the array job; the merge job is NAME-merge. Default: llscape-COMMAND.")]
        public string? JobName { get; init; }

        /// <summary>Throttle.</summary>
        [CommandOption("--max-running <K>")]
        [Description("Run at most K array tasks at once (sbatch --array=0-(N-1)%K).")]
        public int? MaxRunning { get; init; }

        /// <summary>Setup lines.</summary>
        [CommandOption("--setup <LINE>")]
        [Description("A shell line run in both scripts before llscape, for example \"module load cuda\"; repeat for more lines.")]
        public string[] Setup { get; init; } = Array.Empty<string>();

        /// <summary>The llscape command on the nodes.</summary>
        [CommandOption("--llscape <COMMAND>")]
        [Description("How the nodes run llscape (shell words). Default: this llscape's own path.")]
        public string? Llscape { get; init; }

        /// <summary>The sbatch program.</summary>
        [CommandOption("--sbatch <PROGRAM>")]
        [Description("The sbatch program. Default: sbatch on PATH.")]
        [DefaultValue("sbatch")]
        public string Sbatch { get; init; } = "sbatch";

        /// <summary>Print only.</summary>
        [CommandOption("--dry-run")]
        [Description("Print the scripts and the sbatch commands; write and submit nothing.")]
        public bool DryRun { get; init; }

        /// <summary>Verbose errors.</summary>
        [CommandOption("--verbose")]
        [Description("Print stack traces with errors.")]
        public bool Verbose { get; init; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Tasks is null) return ValidationResult.Error("--tasks N is required (the number of array tasks the command is split into).");
            if (Tasks < 1) return ValidationResult.Error($"--tasks {Tasks} is not valid: give at least 1.");
            if (string.IsNullOrWhiteSpace(Dir)) return ValidationResult.Error("--dir DIR is required (the job folder for scripts, shards and logs, on a file system every node sees).");
            if (MaxRunning is < 1) return ValidationResult.Error($"--max-running {MaxRunning} is not valid: give at least 1.");
            if (CpusPerTask is < 1) return ValidationResult.Error($"--cpus-per-task {CpusPerTask} is not valid: give at least 1.");
            foreach (var (name, value) in new[] { ("--partition", Partition), ("--time", Time), ("--gres", Gres), ("--mem", Mem), ("--account", Account), ("--job-name", JobName) })
                if (value is not null && (value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
                    return ValidationResult.Error($"{name} '{value}' is not valid: a Slurm value without spaces is needed.");
            foreach (var line in Setup)
                if (line.Contains('\n') || line.Contains('\r')) return ValidationResult.Error("--setup takes one shell line; repeat --setup for more lines.");
            if (Llscape is not null && (string.IsNullOrWhiteSpace(Llscape) || Llscape.Contains('\n')))
                return ValidationResult.Error("--llscape needs the command that runs llscape on the nodes, on one line.");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The words after the first --, taken from the command line itself: Spectre's Remaining.Raw drops values that
        // start with a dash (--x-range -1:1:9 arrives as --x-range -).
        var line = Program.Arguments;
        int separator = Array.IndexOf(line, "--");
        var inner = separator < 0 ? Array.Empty<string>() : line[(separator + 1)..];
        var plan = Plan(settings, inner);
        if (settings.DryRun)
        {
            // Plain text, not the console's wrapped rendering: the scripts must read exactly as they would be written.
            var o = Console.Out;
            o.Write($"# {plan.ArrayPath}\n{plan.ArrayScript}\n# {plan.MergePath}\n{plan.MergeScript}\n");
            o.Write("# submitted with (dry run: nothing was written or submitted):\n");
            o.Write(string.Join(' ', new[] { settings.Sbatch }.Concat(SlurmScripts.ArraySubmitArgs(plan)).Select(SlurmScripts.Quote)) + "\n");
            o.Write(string.Join(' ', new[] { settings.Sbatch }.Concat(SlurmScripts.MergeSubmitArgs(plan, "ARRAY_JOB_ID")).Select(SlurmScripts.Quote)) + "\n");
            o.Flush();
            return 0;
        }

        foreach (var output in plan.Outputs) AtomicFile.CheckWritable(output);
        foreach (var part in plan.PartPaths.Take(1)) AtomicFile.CheckWritable(part);
        Directory.CreateDirectory(plan.PartsDir);
        Directory.CreateDirectory(plan.LogsDir);
        AtomicFile.WriteAllText(plan.ArrayPath, plan.ArrayScript);
        AtomicFile.WriteAllText(plan.MergePath, plan.MergeScript);
        Console.Out.WriteLine($"scripts: {plan.ArrayPath}, {plan.MergePath}");

        var arrayId = Submit(settings.Sbatch, SlurmScripts.ArraySubmitArgs(plan), "the array job");
        Console.Out.WriteLine($"array job: {arrayId} ({settings.Tasks} tasks; shards in {plan.PartsDir}, logs in {plan.LogsDir})");
        string mergeId;
        try
        {
            mergeId = Submit(settings.Sbatch, SlurmScripts.MergeSubmitArgs(plan, arrayId), "the merge job");
        }
        catch (LossLandscapeException ex)
        {
            throw new LossLandscapeException($"{ex.Message} The array job {arrayId} was submitted; submit the merge job yourself with: " +
                string.Join(' ', new[] { settings.Sbatch }.Concat(SlurmScripts.MergeSubmitArgs(plan, arrayId)).Select(SlurmScripts.Quote)));
        }
        Console.Out.WriteLine($"merge job: {mergeId} (runs after {arrayId} succeeded; writes {string.Join(", ", plan.Outputs)})");
        return 0;
    }

    /// <summary>Checks the command after <c>--</c> and builds the scripts.</summary>
    /// <exception cref="LossLandscapeException">No command, a command that does not split, or arguments the command rejects.</exception>
    internal static SlurmPlan Plan(Settings settings, IReadOnlyList<string> inner)
    {
        if (inner.Count == 0)
            throw new LossLandscapeException("Give the command to split after --, for example: llscape slurm submit --tasks 4 --dir jobs/surface -- surface --model ... --checkpoint ... --data ...");
        var command = inner[0];
        var args = inner.Skip(1).ToArray();
        if (command == "train") return PlanSeeds(settings, args);
        foreach (var a in args)
            if (a == "--shard" || a.StartsWith("--shard=", StringComparison.Ordinal) || a.StartsWith("--shard:", StringComparison.Ordinal))
                throw new LossLandscapeException("Leave --shard out: each array task gets its own --shard i/n.");
        var (parts, what, files, outputs0) = command switch
        {
            "surface" => Parse<SurfaceCommand.Settings>(command, args) is var s
                ? (CoordinateSpec.ParseGrid(s.X, s.Y).Count, "grid points",
                   new[] { ("--checkpoint", (string?)s.Checkpoint), ("--dir1", s.Dir1), ("--dir2", s.Dir2), ("--model-b", s.ModelB), ("--model-c", s.ModelC) }, Outputs(s.Json, s.Csv, s.Plot))
                : default,
            "interpolate" => Parse<InterpolateCommand.Settings>(command, args) is var l
                ? (CoordinateSpec.ParseAlphas(l.Alphas).Length, "coefficients", new[] { ("--from", (string?)l.From), ("--to", l.To) }, Outputs(l.Json, l.Csv, l.Plot))
                : default,
            "barriers" => Parse<BarriersCommand.Settings>(command, args) is var b
                ? (BarrierPoints(b), "points (pairs x coefficients)", b.Checkpoints.Select(c => ("--checkpoints", (string?)c)).ToArray(), Outputs(b.Json, b.Csv, null))
                : default,
            "trace" => Parse<TraceCommand.Settings>(command, args) is var t
                ? (TraceProbes(t), "probes", new[] { ("--checkpoint", t.Weights) }, Outputs(t.Json, null, null))
                : default,
            "density" => Parse<DensityCommand.Settings>(command, args) is var d
                ? (DensityProbes(d), "probes", new[] { ("--checkpoint", d.Weights) }, Outputs(d.Json, null, d.Plot))
                : default,
            _ => throw new LossLandscapeException($"'{command}' does not split into a Slurm job array; the commands that do: {Splittable}."),
        };
        int tasks = settings.Tasks!.Value;
        if (tasks > parts)
            throw new LossLandscapeException($"--tasks {tasks} is more than the {parts} {what} to split: give --tasks {parts} or fewer.");
        foreach (var (name, file) in files)
            if (file is not null && !File.Exists(file))
                throw new LossLandscapeException($"The file of {name}, '{file}', does not exist (paths are relative to {Environment.CurrentDirectory}, where the jobs run).");

        var dir = FullPath(settings.Dir!, "--dir");
        CheckPlain(dir);

        var outputs = outputs0.ToList();
        if (outputs.Count == 0) outputs.AddRange(new[] { "--json", Path.Combine(dir, command + ".json") });
        var taskArgs = new[] { command }.Concat(WithoutOptions(args, "--json", "--csv", "--plot")).ToArray();

        var options = Options(settings, command, dir);
        return SlurmScripts.Split(options, taskArgs, outputs);
    }

    private static string[] Outputs(string? json, string? csv, string? plot) =>
        new[] { ("--json", json), ("--csv", csv), ("--plot", plot) }.Where(o => o.Item2 is not null).SelectMany(o => new[] { o.Item1, o.Item2! }).ToArray();

    private static int BarrierPoints(BarriersCommand.Settings b)
    {
        var alphas = CoordinateSpec.ParseAlphas(b.Alphas);
        BarrierShards.CheckAlphas(alphas);
        return BarrierMatrix.PairsOf(b.Checkpoints.Length).Count * alphas.Length;
    }

    private static int TraceProbes(TraceCommand.Settings t)
    {
        if (t.Estimator.Trim().ToLowerInvariant() != "hutchinson") throw new LossLandscapeException(TraceCommand.HutchPlusPlusDoesNotSplit);
        if (t.Probes < 2) throw new LossLandscapeException($"--probes {t.Probes} is not valid: Hutchinson needs at least 2 probes.");
        return t.Probes;
    }

    private static int DensityProbes(DensityCommand.Settings d)
    {
        if (d.CheckpointDir is not null) throw new LossLandscapeException("Leave --checkpoint-dir out: each task saves its finished probes to its shard's partial file and resumes there.");
        if (d.Probes < 1) throw new LossLandscapeException($"--probes {d.Probes} is not valid: give at least 1.");
        return d.Probes;
    }

    /// <summary>A training run repeated over --tasks seeds (the command's --seed is the first), each into OUT/seed-S.</summary>
    private static SlurmPlan PlanSeeds(Settings settings, string[] args)
    {
        if (args.Contains("--resume"))
            throw new LossLandscapeException("Leave --resume out: each task resumes its run from its latest checkpoint by itself.");
        var train = Parse<TrainCommand.Settings>("train", args);
        if (string.IsNullOrWhiteSpace(train.Out))
            throw new LossLandscapeException("Give the train command --out DIR: the runs go to DIR/seed-S, one per seed.");
        var dir = FullPath(settings.Dir!, "--dir");
        CheckPlain(dir);
        var options = Options(settings, "train", dir);
        var outputs = new[] { "--json", Path.Combine(train.Out, "seeds.json"), "--csv", Path.Combine(train.Out, "seeds.csv") };
        var taskArgs = new[] { "train" }.Concat(WithoutOptions(args, "--seed", "--out")).ToArray();
        return SlurmScripts.Seeds(options, taskArgs, train.Seed, train.Out, outputs);
    }

    private static SlurmOptions Options(Settings settings, string command, string dir) =>
        new(settings.Tasks!.Value, dir, Environment.CurrentDirectory, settings.JobName ?? "llscape-" + command, settings.Partition, settings.Time, settings.Gres,
            settings.CpusPerTask, settings.Mem, settings.Account, settings.MaxRunning, settings.Setup, settings.Llscape ?? DefaultLlscape());

    private static void CheckPlain(string dir)
    {
        foreach (var (label, path) in new[] { ("--dir", dir), ("the current folder", Environment.CurrentDirectory) })
            if (path.Any(c => char.IsWhiteSpace(c) || c is '"' or '$' or '`' or '\\' or '\''))
                throw new LossLandscapeException($"The path of {label}, '{path}', holds a space or a shell character that #SBATCH lines cannot carry: choose a plain path.");
    }

    /// <summary><paramref name="args"/> without the named value options (<c>--name VALUE</c>, <c>--name=VALUE</c>, <c>--name:VALUE</c>).</summary>
    internal static IEnumerable<string> WithoutOptions(IReadOnlyList<string> args, params string[] names)
    {
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (names.Contains(a))
            {
                i++;
                continue;
            }
            if (names.Any(n => a.StartsWith(n + "=", StringComparison.Ordinal) || a.StartsWith(n + ":", StringComparison.Ordinal))) continue;
            yield return a;
        }
    }

    /// <summary>How this process runs llscape: its own executable, or dotnet with its assembly.</summary>
    internal static string DefaultLlscape()
    {
        var exe = Environment.ProcessPath;
        if (exe is not null && Path.GetFileNameWithoutExtension(exe) == "llscape") return SlurmScripts.Quote(exe);
        var dotnet = exe is not null && Path.GetFileNameWithoutExtension(exe) == "dotnet" ? exe : "dotnet";
        return SlurmScripts.Quote(dotnet) + " " + SlurmScripts.Quote(typeof(Program).Assembly.Location);
    }

    /// <summary>Parses a command's arguments the way llscape does (same options, same checks) without running anything.</summary>
    private static T Parse<T>(string command, string[] args) where T : CommandSettings
    {
        T? parsed = null;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.PropagateExceptions();
            config.UseStrictParsing();
            config.ConfigureConsole(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }));
            config.AddDelegate<T>(command, (_, s, _) =>
            {
                parsed = s;
                return 0;
            });
        });
        try
        {
            app.Run(Program.SpreadLists(new[] { command }.Concat(args).ToArray()));
        }
        catch (CommandAppException ex)
        {
            throw new LossLandscapeException($"The {command} command after -- is not valid: {ex.Message}");
        }
        return parsed ?? throw new LossLandscapeException($"The {command} command after -- is not valid (run llscape {command} --help).");
    }

    private static string FullPath(string path, string option)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new LossLandscapeException($"{option} '{path}' is not a valid path ({ex.Message}).");
        }
    }

    private static string Submit(string sbatch, string[] args, string what)
    {
        var psi = new ProcessStartInfo(sbatch)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new LossLandscapeException($"Could not start '{sbatch}'.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new LossLandscapeException($"Could not run '{sbatch}' ({ex.Message}): run this on a Slurm login node, or give --sbatch PATH; --dry-run prints the scripts without Slurm.");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var err = stderr.GetAwaiter().GetResult().Trim();
            if (process.ExitCode != 0)
                throw new LossLandscapeException($"sbatch refused {what} (exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {(err.Length > 0 ? err : stdout.Trim())}");
            return SlurmScripts.ParseJobId(stdout)
                ?? throw new LossLandscapeException($"sbatch did not print a job id for {what} (it printed '{stdout.Trim()}').");
        }
    }
}
