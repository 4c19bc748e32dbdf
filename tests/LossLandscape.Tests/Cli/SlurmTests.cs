using System.Diagnostics;
using LossLandscape.Checkpoints;
using LossLandscape.Cli.Slurm;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Cli;

/// <summary>
/// <c>llscape slurm submit</c> without a cluster: the scripts of --dry-run, the checks before submission, and a
/// submission through a stand-in sbatch. The real cluster run is .ci/slurm.
/// </summary>
[Collection("Console")]
public class SlurmTests
{
    private static (string Dir, string Checkpoint, string Data) Files()
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var g = new Generator(3);
        Safetensors.Save(data, new Dictionary<string, Tensor>
        {
            ["x"] = randn(new long[] { 24, 4 }, generator: g),
            ["y"] = randint(0, 3, new long[] { 24 }, dtype: ScalarType.Int64, generator: g),
        });
        manual_seed(10);
        var checkpoint = Path.Combine(dir, "m.safetensors");
        Checkpoint.Save(new LossLandscape.Models.Mlp(new[] { 4, 5, 3 }), checkpoint);
        return (dir, checkpoint, data);
    }

    private static string[] Surface(string checkpoint, string data, params string[] extra) =>
        new[] { "surface", "--model", "mlp:4-5-3", "--checkpoint", checkpoint, "--data", data, "--x-range", "-1:1:3", "--y-range", "-1:1:3", "--threads", "1" }
            .Concat(extra).ToArray();

    private static string[] Submit(string[] slurm, string[] command) => new[] { "slurm", "submit" }.Concat(slurm).Append("--").Concat(command).ToArray();

    [Fact]
    public void DryRun_PrintsTheArrayAndMergeScripts_WithTheSlurmOptions_AndWritesNothing()
    {
        var (dir, checkpoint, data) = Files();
        var job = Path.Combine(dir, "job");
        var merged = Path.Combine(dir, "out", "merged.json");
        var (code, output, err) = CliTests.Run(Submit(
            new[] { "--tasks", "4", "--dir", job, "--partition", "gpu", "--time", "01:30:00", "--gres", "gpu:1", "--cpus-per-task", "8",
                "--mem", "16G", "--account", "lab", "--max-running", "2", "--setup", "module load dotnet", "--llscape", "llscape", "--dry-run" },
            Surface(checkpoint, data, "--json", merged, "--csv=" + Path.Combine(dir, "m.csv"))));
        code.Should().Be(0, err);
        Directory.Exists(job).Should().BeFalse("a dry run writes nothing");

        var array = output[output.IndexOf("#!/bin/bash", StringComparison.Ordinal)..output.IndexOf($"# {Path.Combine(job, "merge.sbatch")}", StringComparison.Ordinal)];
        array.Should().Contain("#SBATCH --array=0-3%2\n").And.Contain("#SBATCH --partition=gpu\n").And.Contain("#SBATCH --time=01:30:00\n")
            .And.Contain("#SBATCH --gres=gpu:1\n").And.Contain("#SBATCH --cpus-per-task=8\n").And.Contain("#SBATCH --mem=16G\n")
            .And.Contain("#SBATCH --account=lab\n").And.Contain("#SBATCH --requeue\n").And.Contain($"#SBATCH --output={job}/logs/task-%a.out\n")
            .And.Contain($"#SBATCH --chdir={Environment.CurrentDirectory}\n").And.Contain("module load dotnet\n");
        var task = array.Split('\n').Single(l => l.StartsWith("llscape surface", StringComparison.Ordinal));
        task.Should().EndWith($"--threads 1 --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" --json \"{job}/shards/shard-$SLURM_ARRAY_TASK_ID.json\"");
        task.Should().Contain("--x-range -1:1:3").And.NotContain(merged).And.NotContain("--csv");

        var merge = output[output.IndexOf($"# {Path.Combine(job, "merge.sbatch")}", StringComparison.Ordinal)..];
        merge.Should().Contain("#SBATCH --job-name=llscape-surface-merge\n").And.Contain("#SBATCH --partition=gpu\n").And.NotContain("--gres").And.NotContain("--cpus-per-task");
        var mergeLine = merge.Split('\n').Single(l => l.StartsWith("llscape merge", StringComparison.Ordinal));
        mergeLine.Should().Be("llscape merge " + string.Join(" ", Enumerable.Range(0, 4).Select(i => $"{job}/shards/shard-{i}.json")) +
            $" --json {merged} --csv {Path.Combine(dir, "m.csv")}");
        output.Should().Contain($"sbatch --parsable --dependency=afterok:ARRAY_JOB_ID {job}/merge.sbatch");
    }

    [Theory]
    [InlineData("spectrum", "'spectrum' does not split*the commands that do: surface*interpolate*train*")]
    [InlineData("--shard", "Leave --shard out*")]
    [InlineData("--tasks", "--tasks 10 is more than the 9 grid points to split*")]
    [InlineData("--checkpoint", "The file of --checkpoint*does not exist*")]
    [InlineData("--bogus", "The surface command after -- is not valid*bogus*")]
    [InlineData("none", "Give the command to split after --*")]
    public void BadSubmissions_AreRefusedWithExitCode2_BeforeAnythingIsWritten(string what, string message)
    {
        var (dir, checkpoint, data) = Files();
        var job = Path.Combine(dir, "job");
        var slurm = new[] { "--tasks", what == "--tasks" ? "10" : "2", "--dir", job, "--sbatch", "/nonexistent/sbatch" };
        string[] command = what switch
        {
            "spectrum" => new[] { "spectrum", "--model", "mlp:4-5-3" },
            "--shard" => Surface(checkpoint, data, "--shard", "0/2"),
            "--checkpoint" => Surface(Path.Combine(dir, "missing.safetensors"), data),
            "--bogus" => Surface(checkpoint, data, "--bogus"),
            "none" => Array.Empty<string>(),
            _ => Surface(checkpoint, data),
        };
        var (code, _, err) = CliTests.Run(Submit(slurm, command));
        code.Should().Be(2);
        err.Should().Match("error: " + message);
        Directory.Exists(job).Should().BeFalse();
    }

    [Fact]
    public void MissingTasksOrDir_OrAMissingSbatch_AreClearErrors()
    {
        var (dir, checkpoint, data) = Files();
        var r1 = CliTests.Run(Submit(new[] { "--dir", dir }, Surface(checkpoint, data)));
        r1.Code.Should().Be(2);
        r1.Err.Should().Contain("--tasks N is required");
        var r2 = CliTests.Run(Submit(new[] { "--tasks", "2", "--time", "1 day" }, Surface(checkpoint, data)));
        r2.Code.Should().Be(2);
        r2.Err.Should().Contain("--dir DIR is required");
        var r3 = CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", Path.Combine(dir, "j"), "--sbatch", "/nonexistent/sbatch" }, Surface(checkpoint, data)));
        r3.Code.Should().Be(2);
        r3.Err.Should().Contain("Could not run '/nonexistent/sbatch'").And.Contain("--dry-run");
    }

    [Fact]
    public void Submit_WritesTheScripts_SubmitsTheArrayThenTheMergeAfterOk_AndPrintsTheJobIds()
    {
        var (dir, checkpoint, data) = Files();
        var job = Path.Combine(dir, "job");
        var calls = Path.Combine(dir, "calls.txt");
        var fake = Path.Combine(dir, "sbatch");
        File.WriteAllText(fake, $"#!/bin/bash\necho \"$*\" >> {calls}\nn=$(wc -l < {calls})\necho \"$((4100 + n));cluster\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (code, output, err) = CliTests.Run(Submit(new[] { "--tasks", "3", "--dir", job, "--sbatch", fake }, Surface(checkpoint, data)));
        code.Should().Be(0, err);
        output.Should().Contain("array job: 4101 (3 tasks").And.Contain("merge job: 4102 (runs after 4101 succeeded; writes " + Path.Combine(job, "surface.json"));
        File.ReadAllLines(calls).Should().Equal($"--parsable {job}/array.sbatch", $"--parsable --dependency=afterok:4101 {job}/merge.sbatch");
        File.ReadAllText(Path.Combine(job, "array.sbatch")).Should().Contain("#SBATCH --array=0-2\n");
        Directory.Exists(Path.Combine(job, "shards")).Should().BeTrue();
        Directory.Exists(Path.Combine(job, "logs")).Should().BeTrue();

        File.WriteAllText(fake, "#!/bin/bash\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n");
        var (code2, _, err2) = CliTests.Run(Submit(new[] { "--tasks", "3", "--dir", job, "--sbatch", fake, "--partition", "nope" }, Surface(checkpoint, data)));
        code2.Should().Be(2);
        err2.Should().Contain("sbatch refused the array job (exit code 1): sbatch: error: invalid partition specified: nope");
    }

    [Fact]
    public void ArrayScript_RunByBashAsSlurmWould_ComputesShardsThatTheMergeScriptMerges_IntoTheSingleProcessGrid()
    {
        var (dir, checkpoint, data) = Files();
        var job = Path.Combine(dir, "job");
        var merged = Path.Combine(dir, "merged.json");
        var single = Path.Combine(dir, "single.json");
        var llscape = Path.Combine(AppContext.BaseDirectory, "llscape.dll");
        File.Exists(llscape).Should().BeTrue();
        CliTests.Run(Surface(checkpoint, data, "--json", single)).Code.Should().Be(0);
        var (code, _, err) = CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--llscape", $"dotnet {llscape}", "--sbatch", "/bin/true" },
            Surface(checkpoint, data, "--json", merged)));
        code.Should().Be(2, "/bin/true prints no job id");
        err.Should().Contain("did not print a job id");

        for (int i = 0; i < 2; i++)
            Bash(Path.Combine(job, "array.sbatch"), ("SLURM_ARRAY_TASK_ID", $"{i}"), ("SLURM_ARRAY_TASK_COUNT", "2")).Should().Contain($"shard {i}/2:");
        Bash(Path.Combine(job, "array.sbatch"), ("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "2")).Should().Contain("already complete");
        Bash(Path.Combine(job, "merge.sbatch"));
        File.ReadAllBytes(merged).Should().Equal(File.ReadAllBytes(single));
    }

    [Fact]
    public void Interpolate_SplitsOverItsCoefficients_AndTheMergeWritesTheLine()
    {
        var (dir, checkpoint, data) = Files();
        var job = Path.Combine(dir, "job");
        string[] line = { "interpolate", "--model", "mlp:4-5-3", "--from", checkpoint, "--to", checkpoint, "--data", data, "--alphas", "-1:2:7", "--csv", "line.csv" };
        var (code, output, err) = CliTests.Run(Submit(new[] { "--tasks", "3", "--dir", job, "--llscape", "llscape", "--dry-run" }, line));
        code.Should().Be(0, err);
        output.Should().Contain("#SBATCH --array=0-2\n").And.Contain("shard i/3 of the interpolate");
        output.Split('\n').Single(l => l.StartsWith("llscape interpolate", StringComparison.Ordinal))
            .Should().Contain("--alphas -1:2:7 --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" --json").And.NotContain("line.csv");
        output.Split('\n').Single(l => l.StartsWith("llscape merge", StringComparison.Ordinal)).Should().EndWith("shard-2.json --csv line.csv");

        var (code2, _, err2) = CliTests.Run(Submit(new[] { "--tasks", "8", "--dir", job, "--dry-run" }, line));
        code2.Should().Be(2);
        err2.Should().Contain("--tasks 8 is more than the 7 coefficients to split");
    }

    [Fact]
    public void Train_SplitsOverSeeds_TasksResumeOrReport_AndTheMergeSummarizesTheRuns()
    {
        var (dir, _, data) = Files();
        var job = Path.Combine(dir, "job");
        var runs = Path.Combine(dir, "runs");
        string[] train = { "train", "--model", "mlp:4-5-3", "--data", data, "--epochs", "2", "--batch-size", "8", "--checkpoint-every", "2", "--seed", "5", "--out", runs, "--threads", "1" };
        var (code, output, err) = CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--llscape", "llscape", "--dry-run" }, train));
        code.Should().Be(0, err);
        output.Should().Contain("seed=$((5 + SLURM_ARRAY_TASK_ID))\n").And.Contain($"out=\"{runs}/seed-$seed\"\n");
        output.Split('\n').Where(l => l.Contains("llscape train", StringComparison.Ordinal)).Should().HaveCount(2)
            .And.AllSatisfy(l => l.Should().Contain("--checkpoint-every 2 --threads 1 --seed \"$seed\" --out \"$out\"").And.NotContain("--seed 5"));
        output.Should().Contain($"llscape merge {runs}/seed-5 {runs}/seed-6 --json {runs}/seeds.json --csv {runs}/seeds.csv");
        CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--dry-run" }, train.Append("--resume").ToArray())).Err.Should().Contain("Leave --resume out");
        CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--dry-run" }, train.Take(train.Length - 4).ToArray())).Err.Should().Contain("Give the train command --out DIR");

        var llscape = Path.Combine(AppContext.BaseDirectory, "llscape.dll");
        CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--llscape", $"dotnet {llscape}", "--sbatch", "/bin/true" }, train)).Code.Should().Be(2);
        // Seed 6 was killed before its first checkpoint: its folder is moved aside and the run starts again.
        Directory.CreateDirectory(Path.Combine(runs, "seed-6"));
        File.WriteAllText(Path.Combine(runs, "seed-6", "options.json"), "{}");
        for (int i = 0; i < 2; i++) Bash(Path.Combine(job, "array.sbatch"), ("SLURM_ARRAY_TASK_ID", $"{i}"), ("SLURM_ARRAY_TASK_COUNT", "2"), ("SLURM_JOB_ID", "77"));
        Directory.Exists(Path.Combine(runs, "seed-6.incomplete.77")).Should().BeTrue();
        var again = Bash(Path.Combine(job, "array.sbatch"), ("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "2"), ("SLURM_JOB_ID", "78"));
        again.Should().Contain("from step 6").And.Contain("Training finished");
        Bash(Path.Combine(job, "merge.sbatch"));
        var csv = File.ReadAllLines(Path.Combine(runs, "seeds.csv"));
        csv.Should().HaveCount(5);
        csv[1].Should().StartWith($"{runs}/seed-5,5,6,");
        csv[2].Should().StartWith($"{runs}/seed-6,6,6,");
        csv[3].Should().StartWith("mean,,6,");
        csv[1].Should().NotBe(csv[2].Replace("seed-6,6", "seed-5,5", StringComparison.Ordinal), "two seeds train two different models");

        var (code2, _, err2) = CliTests.Run("merge", Path.Combine(runs, "seed-5"), Path.Combine(runs, "seed-6.incomplete.77"));
        code2.Should().Be(2);
        err2.Should().Contain("Runs missing or unfinished").And.Contain("seed-6.incomplete.77");
    }

    private static string Bash(string script, params (string, string)[] env)
    {
        var psi = new ProcessStartInfo("bash", script) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Environment.CurrentDirectory };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0, e);
        return o.Result;
    }

    [Fact]
    public void Quote_LeavesPlainWordsAndQuotesTheRest()
    {
        SlurmScripts.Quote("-1:1:21").Should().Be("-1:1:21");
        SlurmScripts.Quote("a b").Should().Be("'a b'");
        SlurmScripts.Quote("it's").Should().Be("'it'\\''s'");
        SlurmScripts.Quote("").Should().Be("''");
        SlurmScripts.ParseJobId("Submitted batch job 12\n").Should().BeNull();
        SlurmScripts.ParseJobId("12;cluster\n").Should().Be("12");
    }

    [Fact]
    public void DryRun_SplitsBarriersTraceAndDensity_AndRefusesHutchPlusPlus()
    {
        var (dir, checkpoint, data) = Files();
        var job = Path.Combine(dir, "job");
        var second = Path.Combine(dir, "m2.safetensors");
        File.Copy(checkpoint, second);
        var (code, output, err) = CliTests.Run(Submit(new[] { "--tasks", "3", "--dir", job, "--llscape", "llscape", "--dry-run" },
            new[] { "barriers", "--model", "mlp:4-5-3", "--checkpoints", checkpoint, second, "--data", data, "--alphas", "0:1:3", "--json", Path.Combine(dir, "b.json"), "--csv", Path.Combine(dir, "b.csv") }));
        code.Should().Be(0, err);
        output.Split('\n').Single(l => l.StartsWith("llscape barriers", StringComparison.Ordinal))
            .Should().Contain($"--checkpoints {checkpoint} {second}").And.Contain("--shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\"").And.NotContain("--csv");
        output.Should().Contain($"llscape merge {job}/shards/shard-0.json {job}/shards/shard-1.json {job}/shards/shard-2.json --json {dir}/b.json --csv {dir}/b.csv");
        var (c4, _, e4) = CliTests.Run(Submit(new[] { "--tasks", "4", "--dir", job, "--dry-run" },
            new[] { "barriers", "--model", "mlp:4-5-3", "--checkpoints", checkpoint, second, "--data", data, "--alphas", "0:1:3" }));
        c4.Should().Be(2);
        e4.Should().Contain("--tasks 4 is more than the 3 points");

        string[] Trace(params string[] extra) => new[] { "trace", "--model", "mlp:4-5-3", "--checkpoint", checkpoint, "--data", data, "--probes", "6" }.Concat(extra).ToArray();
        var (tc, to, te) = CliTests.Run(Submit(new[] { "--tasks", "3", "--dir", job, "--llscape", "llscape", "--dry-run" }, Trace("--estimator", "hutchinson")));
        tc.Should().Be(0, te);
        to.Should().Contain("llscape trace").And.Contain("--estimator hutchinson --shard");
        var (hc, _, he) = CliTests.Run(Submit(new[] { "--tasks", "3", "--dir", job, "--dry-run" }, Trace()));
        hc.Should().Be(2);
        he.Should().Contain("Hutch++ does not split").And.Contain("--estimator hutchinson");

        string[] Density(params string[] extra) => new[] { "density", "--model", "mlp:4-5-3", "--checkpoint", checkpoint, "--data", data, "--probes", "4" }.Concat(extra).ToArray();
        var (dc, d_o, de) = CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--llscape", "llscape", "--dry-run" }, Density("--plot", Path.Combine(dir, "d.png"))));
        dc.Should().Be(0, de);
        d_o.Should().Contain($"llscape merge {job}/shards/shard-0.json {job}/shards/shard-1.json --plot {dir}/d.png");
        var (kc, _, ke) = CliTests.Run(Submit(new[] { "--tasks", "2", "--dir", job, "--dry-run" }, Density("--checkpoint-dir", Path.Combine(dir, "ck"))));
        kc.Should().Be(2);
        ke.Should().Contain("Leave --checkpoint-dir out");
    }
}
