using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LossLandscape.Spectra;
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
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var estimator = settings.Estimator.Trim().ToLowerInvariant();
        if (estimator != "hutch++" && estimator != "hutchinson")
            throw new LossLandscapeException($"--estimator '{settings.Estimator}' is not valid: use hutch++ or hutchinson.");
        using var session = CurvatureSession.Open(settings);
        var op = session.Operator;
        TraceResult result;
        using (var status = new StatusLine())
        {
            var progress = status.For<int>(k => $"{estimator}: {k} of {settings.Probes} applications done");
            result = estimator == "hutch++"
                ? HutchPlusPlus.Estimate(op, new HutchPlusPlusOptions(settings.Probes, settings.Confidence, settings.Seed, Diagonal: true), progress, cancellationToken)
                : Hutchinson.Estimate(op, new HutchinsonOptions(settings.Probes, settings.Confidence, settings.Seed, Diagonal: true), progress, cancellationToken);
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
            LowRankTrace = result.Method == "hutch++" ? result.LowRankTrace : null,
            SketchSize = result.Method == "hutch++" ? result.SketchSize : null,
        };
        SpectrumJson.Write(settings.Json, report);
        var inv = CultureInfo.InvariantCulture;
        AnsiConsole.WriteLine($"operator: {op.Name} ({op.Dimension} parameters, {op.Examples} examples, loss {loss.ToString("G8", inv)})");
        AnsiConsole.WriteLine($"trace: {result.Trace.ToString("G8", inv)} +- {(result.Upper - result.Trace).ToString("G4", inv)} ({(100 * result.Confidence).ToString("G3", inv)}% interval [{result.Lower.ToString("G8", inv)}, {result.Upper.ToString("G8", inv)}])");
        foreach (var b in blocks) AnsiConsole.WriteLine($"  {b.Name}: {b.Trace.ToString("G6", inv)}");
        if (result.Method == "hutch++")
            AnsiConsole.WriteLine($"hutch++: low-rank part {result.LowRankTrace.ToString("G8", inv)} from {result.SketchSize} sketch directions, residual from {result.Samples.Length} probes");
        AnsiConsole.WriteLine($"{result.Method}: {result.Applications} applications, {report.Seconds.ToString("F2", inv)} s");
        return 0;
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
