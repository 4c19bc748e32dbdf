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

/// <summary><c>llscape density</c>: the eigenvalue density by stochastic Lanczos quadrature.</summary>
public sealed class DensityCommand : Command<DensityCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : ResumableCurvatureSettings
    {
        /// <summary>Probes.</summary>
        [CommandOption("--probes <N>")]
        [Description("Random start vectors. Default: 10.")]
        [DefaultValue(10)]
        public int Probes { get; init; } = 10;

        /// <summary>Steps.</summary>
        [CommandOption("--steps <M>")]
        [Description("Lanczos steps per probe. Default: 80.")]
        [DefaultValue(80)]
        public int Steps { get; init; } = 80;

        /// <summary>Sigma.</summary>
        [CommandOption("--sigma <S>")]
        [Description("Gaussian broadening. Default: 1% of the eigenvalue range.")]
        public double? Sigma { get; init; }

        /// <summary>Grid.</summary>
        [CommandOption("--grid <N>")]
        [Description("Grid points of the density. Default: 1000.")]
        [DefaultValue(1000)]
        public int Grid { get; init; } = 1000;

        /// <summary>Band level.</summary>
        [CommandOption("--confidence <C>")]
        [Description("Level of the pointwise band over probes (JSON densityLower/densityUpper, drawn in the plot). Default: 0.95.")]
        [DefaultValue(0.95)]
        public double Confidence { get; init; } = 0.95;

        /// <summary>Plot output.</summary>
        [CommandOption("--plot <FILE>")]
        [Description("Write the density as a plot (.png or .svg), log-scale density as in Ghorbani et al. 2019.")]
        public string? Plot { get; init; }

        /// <summary>Shard.</summary>
        [CommandOption("--shard <I/N>")]
        [Description("Compute only shard i of n (0-based) of the probes and write it to --json; merge the shards with llscape merge, which gives exactly the single-process density. Completed probes are saved to JSON.partial as they go: a re-run resumes there, and a complete shard of the same inputs is not computed again.")]
        public string? Shard { get; init; }

        /// <inheritdoc />
        public override IEnumerable<OutputPath> Outputs => [.. base.Outputs, new("--plot", Plot, false, ".png", ".svg")];

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Shard is not null && Json is null) return ValidationResult.Error("--shard needs --json FILE to write the shard to.");
            if (Shard is not null && Plot is not null) return ValidationResult.Error("--plot applies to the whole density: give it to llscape merge, not to a shard.");
            if (Shard is not null && CheckpointDir is not null) return ValidationResult.Error("--checkpoint-dir does not apply to a shard: a shard saves each finished probe to JSON.partial and resumes there.");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var reorth = settings.ReorthMode();
        var shard = settings.Shard is null ? null : CoordinateSpec.ParseShard(settings.Shard);
        var checkpoint = settings.StateCheckpoint("density", CurvatureSession.Tag(settings));
        using var session = CurvatureSession.Open(settings);
        var op = session.Operator;
        var options = new SpectralDensityOptions(settings.Probes, settings.Steps, settings.Sigma, settings.Grid, settings.Seed, reorth, settings.Confidence, checkpoint);
        if (shard is not null)
        {
            ShardRun<DensityShard> run;
            using (var ctrlC = new CtrlC(cancellationToken))
            using (var status = new StatusLine())
                run = ResumableShard.RunDensity(op, options, shard, settings.Json!,
                    progress: status.For<int>(k => $"slq: {k} probes of shard {shard} done, {op.Applications} applications"), cancellationToken: ctrlC.Token);
            TraceCommand.ReportShard(shard, run.State, run.PointsBefore, run.PointsComputed, run.Shard.Points.Count, settings.Probes, "probes", run.Shard.Fingerprint, settings.Json!);
            return 0;
        }
        SpectralDensityResult result;
        using (var ctrlC = new CtrlC(cancellationToken))
        using (var status = new StatusLine())
            result = SpectralDensity.Estimate(op, options, status.For<int>(k => $"slq: {k} of {settings.Probes} probes done, {op.Applications} applications"), ctrlC.Token);
        double loss = op.EvaluateLoss();
        var report = ReportOf(result, op.Name, loss, op.Dimension, op.Examples, op.DType == ScalarType.Float64 ? "float64" : "float32", watch.Elapsed.TotalSeconds);
        Write(report, result, settings.Json, settings.Plot, settings.Probes, settings.Steps);
        return 0;
    }

    /// <summary>The report of a density.</summary>
    internal static DensityReport ReportOf(SpectralDensityResult result, string op, double loss, long parameters, long examples, string dtype, double seconds) =>
        new(op, result.Grid, result.Density, result.Sigma, result.Mean, result.TraceEstimate,
            result.Probes.Select(p => new DensityProbe(p.Nodes, p.Weights)).ToArray(), result.Applications, loss, parameters, examples, dtype, seconds)
        {
            DensityStandardError = result.DensityStandardError,
            DensityLower = result.DensityLower,
            DensityUpper = result.DensityUpper,
            Confidence = result.Confidence,
            TraceStandardError = result.TraceStandardError,
        };

    /// <summary>The report of merged shards.</summary>
    internal static void WriteMerged(DensityShard merged, string? json, string? plot)
    {
        var result = DensityShards.Summarize(merged);
        Write(ReportOf(result, merged.Operator, merged.Loss ?? double.NaN, merged.Parameters, merged.Examples, merged.Dtype, merged.Seconds), result, json, plot,
            merged.Probes, merged.Steps);
    }

    /// <summary>Writes the JSON and the plot (when asked) and prints the density's summary.</summary>
    private static void Write(DensityReport report, SpectralDensityResult result, string? json, string? plot, int probes, int steps)
    {
        SpectrumJson.Write(json, report);
        if (!string.IsNullOrWhiteSpace(plot))
        {
            var floor = result.Density.Where(d => d > 0).DefaultIfEmpty(1e-12).Max() * 1e-8;
            var band = $"{(100 * result.Confidence).ToString("G3", CultureInfo.InvariantCulture)}% band over probes";
            LossLandscape.Plotting.Charts.Lines(
                new[]
                {
                    new LossLandscape.Plotting.Series($"{report.Operator} density", result.Grid, result.Density.Select(d => Math.Max(d, floor)).ToArray()),
                    new LossLandscape.Plotting.Series($"{band}, upper", result.Grid, result.DensityUpper.Select(d => Math.Max(d, floor)).ToArray()),
                    new LossLandscape.Plotting.Series($"{band}, lower", result.Grid, result.DensityLower.Select(d => Math.Max(d, floor)).ToArray()),
                },
                new LossLandscape.Plotting.ChartOptions($"Spectral density of the {report.Operator} (SLQ: {probes} probes, {steps} steps, sigma {result.Sigma:G3})",
                    "eigenvalue", "density", LogY: true),
                plot);
        }
        var inv = CultureInfo.InvariantCulture;
        AnsiConsole.WriteLine($"operator: {report.Operator} ({report.Parameters} parameters, {report.Examples} examples, loss {report.Loss.ToString("G8", inv)})");
        AnsiConsole.WriteLine($"support: [{result.Probes.Min(p => p.Nodes[0]).ToString("G6", inv)}, {result.Probes.Max(p => p.Nodes[^1]).ToString("G6", inv)}], sigma {result.Sigma.ToString("G4", inv)}");
        AnsiConsole.WriteLine($"trace estimate: {result.TraceEstimate.ToString("G8", inv)} +- {result.TraceStandardError.ToString("G3", inv)} (standard error over probes; mean eigenvalue {result.Mean.ToString("G6", inv)})");
        AnsiConsole.WriteLine($"slq: {result.Applications} applications, {report.Seconds.ToString("F2", inv)} s");
        if (json is not null) AnsiConsole.WriteLine($"json: {json}");
    }
}

/// <summary>One probe's quadrature in the density JSON.</summary>
/// <param name="Nodes">Ritz values.</param>
/// <param name="Weights">Their weights (sum 1).</param>
public sealed record DensityProbe(double[] Nodes, double[] Weights);

/// <summary>The JSON written by <c>llscape density</c>.</summary>
/// <param name="Operator">hessian, ggn or residual.</param>
/// <param name="Grid">Grid points.</param>
/// <param name="Density">Density values (integrate to 1).</param>
/// <param name="Sigma">Broadening.</param>
/// <param name="Mean">Mean of the density.</param>
/// <param name="TraceEstimate">Quadrature estimate of the trace.</param>
/// <param name="Probes">Nodes and weights per probe.</param>
/// <param name="Applications">Operator applications.</param>
/// <param name="Loss">Mean loss.</param>
/// <param name="Parameters">Number of parameters.</param>
/// <param name="Examples">Number of examples.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record DensityReport(string Operator, double[] Grid, double[] Density, double Sigma, double Mean, double TraceEstimate,
    DensityProbe[] Probes, long Applications, double Loss, long Parameters, long Examples, string Dtype, double Seconds)
{
    /// <summary>Pointwise standard error of the density over probes.</summary>
    public double[] DensityStandardError { get; init; } = Array.Empty<double>();

    /// <summary>Lower edge of the pointwise band over probes.</summary>
    public double[] DensityLower { get; init; } = Array.Empty<double>();

    /// <summary>Upper edge of the pointwise band over probes.</summary>
    public double[] DensityUpper { get; init; } = Array.Empty<double>();

    /// <summary>Level of the band.</summary>
    public double Confidence { get; init; }

    /// <summary>Standard error of the trace estimate over probes.</summary>
    public double TraceStandardError { get; init; }
}
