using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LossLandscape.Landscape;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape trace</c>: a Hutch++ (or Hutchinson) trace estimate with a confidence interval, and per-parameter traces from the diagonal estimate.</summary>
public sealed class TraceCommand : Command<TraceCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : CurvatureSettings
    {
        /// <summary>Probes.</summary>
        [CommandOption("--probes <N>")]
        [Description("Operator applications: Rademacher probes for hutchinson (at least 2), sketch + low-rank + residual probes for hutch++ (at least 4). Default: 100.")]
        [DefaultValue(100)]
        public int Probes { get; init; } = 100;

        /// <summary>Estimator.</summary>
        [CommandOption("--estimator <NAME>")]
        [Description("hutch++ (default: a low-rank part computed exactly plus Hutchinson on the rest; --probes counts all its applications) or hutchinson (plain, for comparison).")]
        [DefaultValue("hutch++")]
        public string Estimator { get; init; } = "hutch++";

        /// <summary>Confidence.</summary>
        [CommandOption("--confidence <C>")]
        [Description("Level of the confidence interval. Default: 0.95.")]
        [DefaultValue(0.95)]
        public double Confidence { get; init; } = 0.95;

        /// <summary>Shard.</summary>
        [CommandOption("--shard <I/N>")]
        [Description("Compute only shard i of n (0-based) of the probes (--estimator hutchinson) and write it to --json; merge the shards with llscape merge, which gives exactly the single-process estimate. Completed probes are saved to JSON.partial as they go: a re-run resumes there, and a complete shard of the same inputs is not computed again.")]
        public string? Shard { get; init; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Shard is not null && Json is null) return ValidationResult.Error("--shard needs --json FILE to write the shard to.");
            return base.Validate();
        }
    }

    /// <summary>Why Hutch++ does not split, and what to use instead.</summary>
    public const string HutchPlusPlusDoesNotSplit =
        "Hutch++ does not split into shards: its residual probes are projected off the span of its whole sketch, which one task would have to finish first. Give --estimator hutchinson to split the probes (each probe depends only on --seed and its index).";

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var estimator = settings.Estimator.Trim().ToLowerInvariant();
        if (estimator != "hutch++" && estimator != "hutchinson")
            throw new LossLandscapeException($"--estimator '{settings.Estimator}' is not valid: use hutch++ or hutchinson.");
        var shard = settings.Shard is null ? null : CoordinateSpec.ParseShard(settings.Shard);
        if (shard is not null && estimator == "hutch++") throw new LossLandscapeException(HutchPlusPlusDoesNotSplit);
        using var session = CurvatureSession.Open(settings);
        var op = session.Operator;
        if (estimator == "hutchinson")
        {
            var options = new HutchinsonOptions(settings.Probes, settings.Confidence, settings.Seed);
            if (shard is not null)
            {
                ShardRun<TraceShard> run;
                using (var status = new StatusLine())
                    run = ResumableShard.RunTrace(op, options, shard, settings.Json!, progress: status.For<int>(k => $"hutchinson: {k} probes of shard {shard} done"), cancellationToken: cancellationToken);
                ReportShard(shard, run.State, run.PointsBefore, run.PointsComputed, run.Shard.Points.Count, settings.Probes, "probes", run.Shard.Fingerprint, settings.Json!);
                return 0;
            }
            TraceShard single;
            using (var status = new StatusLine())
                single = TraceShards.Compute(op, options, ShardSpec.Single, progress: status.For<int>(k => $"hutchinson: {k} of {settings.Probes} probes done"), cancellationToken: cancellationToken);
            Write(ReportOf(single, watch.Elapsed.TotalSeconds), settings.Json);
            return 0;
        }
        TraceResult result;
        using (var status = new StatusLine())
        {
            var progress = status.For<int>(k => $"{estimator}: {k} of {settings.Probes} applications done");
            result = HutchPlusPlus.Estimate(op, new HutchPlusPlusOptions(settings.Probes, settings.Confidence, settings.Seed, Diagonal: true), progress, cancellationToken);
        }
        TraceBlock[] blocks;
        using (var diagonal = result.Diagonal!)
        {
            blocks = op.Space.Blocks.Select(b =>
            {
                using var part = diagonal.narrow(0, b.Offset, b.Count).sum().to(ScalarType.Float64);
                return new TraceBlock(b.Name, part.item<double>());
            }).ToArray();
        }
        double loss = op.EvaluateLoss();
        var report = new TraceReport(op.Name, result.Trace, result.StandardError, result.Lower, result.Upper, result.Confidence,
            result.Samples.Length, result.Samples, blocks, result.Applications, loss, op.Dimension, op.Examples,
            op.DType == ScalarType.Float64 ? "float64" : "float32", watch.Elapsed.TotalSeconds)
        {
            Estimator = result.Method,
            LowRankTrace = result.LowRankTrace,
            SketchSize = result.SketchSize,
        };
        Write(report, settings.Json);
        return 0;
    }

    /// <summary>The report of a complete Hutchinson run (one process's, or merged shards').</summary>
    internal static TraceReport ReportOf(TraceShard run, double seconds)
    {
        var (result, blockTraces) = TraceShards.Summarize(run);
        return new TraceReport(run.Operator, result.Trace, result.StandardError, result.Lower, result.Upper, result.Confidence,
            result.Samples.Length, result.Samples, run.BlockNames.Select((n, i) => new TraceBlock(n, blockTraces[i])).ToArray(), result.Applications,
            run.Loss ?? double.NaN, run.Parameters, run.Examples, run.Dtype, seconds)
        {
            Estimator = "hutchinson",
        };
    }

    /// <summary>Writes the JSON (when asked) and prints the estimate.</summary>
    internal static void Write(TraceReport report, string? json)
    {
        SpectrumJson.Write(json, report);
        var inv = CultureInfo.InvariantCulture;
        AnsiConsole.WriteLine($"operator: {report.Operator} ({report.Parameters} parameters, {report.Examples} examples, loss {report.Loss.ToString("G8", inv)})");
        AnsiConsole.WriteLine($"trace: {report.Trace.ToString("G8", inv)} +- {(report.Upper - report.Trace).ToString("G4", inv)} ({(100 * report.Confidence).ToString("G3", inv)}% interval [{report.Lower.ToString("G8", inv)}, {report.Upper.ToString("G8", inv)}])");
        foreach (var b in report.Blocks) AnsiConsole.WriteLine($"  {b.Name}: {b.Trace.ToString("G6", inv)}");
        if (report.Estimator == "hutch++")
            AnsiConsole.WriteLine($"hutch++: low-rank part {report.LowRankTrace!.Value.ToString("G8", inv)} from {report.SketchSize} sketch directions, residual from {report.Samples.Length} probes");
        AnsiConsole.WriteLine($"{report.Estimator}: {report.Applications} applications, {report.Seconds.ToString("F2", inv)} s");
        if (json is not null) AnsiConsole.WriteLine($"json: {json}");
    }

    /// <summary>What a shard run did, in the words of the other sharded commands.</summary>
    internal static void ReportShard(ShardSpec shard, ShardRunState state, int before, int computed, int have, int total, string what, string fingerprint, string json)
    {
        if (state == ShardRunState.AlreadyComplete)
            AnsiConsole.WriteLine($"shard {shard}: already complete in {json} (same inputs); nothing to compute");
        else if (state == ShardRunState.Resumed)
            AnsiConsole.WriteLine($"shard {shard}: resumed, {before} {what} were already written, {computed} computed now");
        AnsiConsole.WriteLine($"shard {shard}: {have} of {total} {what}, fingerprint {fingerprint[..12]}");
        AnsiConsole.WriteLine($"json: {json}");
    }
}

/// <summary>The trace estimate of one parameter tensor (sum of its diagonal estimate).</summary>
/// <param name="Name">Parameter name.</param>
/// <param name="Trace">Sum of the diagonal estimate over the tensor's entries.</param>
public sealed record TraceBlock(string Name, double Trace);

/// <summary>The JSON written by <c>llscape trace</c>.</summary>
/// <param name="Operator">hessian, ggn or residual.</param>
/// <param name="Trace">The estimate.</param>
/// <param name="StandardError">Its standard error.</param>
/// <param name="Lower">Lower end of the interval.</param>
/// <param name="Upper">Upper end of the interval.</param>
/// <param name="Confidence">Level of the interval.</param>
/// <param name="Probes">Number of probes.</param>
/// <param name="Samples">z . A z per probe.</param>
/// <param name="Blocks">Per-parameter traces from the diagonal estimate.</param>
/// <param name="Applications">Operator applications.</param>
/// <param name="Loss">Mean loss.</param>
/// <param name="Parameters">Number of parameters.</param>
/// <param name="Examples">Number of examples.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record TraceReport(string Operator, double Trace, double StandardError, double Lower, double Upper, double Confidence,
    int Probes, double[] Samples, TraceBlock[] Blocks, long Applications, double Loss, long Parameters, long Examples, string Dtype, double Seconds)
{
    /// <summary>hutch++ or hutchinson.</summary>
    public string Estimator { get; init; } = "hutchinson";

    /// <summary>hutch++: the exact trace of the low-rank part (the samples are then the residual's).</summary>
    public double? LowRankTrace { get; init; }

    /// <summary>hutch++: sketch directions.</summary>
    public int? SketchSize { get; init; }
}
