using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LossLandscape.Spectra;
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

        /// <inheritdoc />
        public override IEnumerable<OutputPath> Outputs => [.. base.Outputs, new("--plot", Plot, false, ".png", ".svg")];
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var reorth = settings.ReorthMode();
        var checkpoint = settings.StateCheckpoint("density", CurvatureSession.Tag(settings));
        using var session = CurvatureSession.Open(settings);
        var op = session.Operator;
        SpectralDensityResult result;
        using (var ctrlC = new CtrlC(cancellationToken))
        using (var status = new StatusLine())
            result = SpectralDensity.Estimate(op, new SpectralDensityOptions(settings.Probes, settings.Steps, settings.Sigma, settings.Grid, settings.Seed, reorth, settings.Confidence, checkpoint),
                status.For<int>(k => $"slq: {k} of {settings.Probes} probes done, {op.Applications} applications"), ctrlC.Token);
        double loss = op.EvaluateLoss();
        var report = new DensityReport(op.Name, result.Grid, result.Density, result.Sigma, result.Mean, result.TraceEstimate,
            result.Probes.Select(p => new DensityProbe(p.Nodes, p.Weights)).ToArray(), result.Applications, loss, op.Dimension, op.Examples,
            op.DType == ScalarType.Float64 ? "float64" : "float32", watch.Elapsed.TotalSeconds)
        {
            DensityStandardError = result.DensityStandardError,
            DensityLower = result.DensityLower,
            DensityUpper = result.DensityUpper,
            Confidence = result.Confidence,
            TraceStandardError = result.TraceStandardError,
        };
        SpectrumJson.Write(settings.Json, report);
        if (!string.IsNullOrWhiteSpace(settings.Plot))
        {
            var floor = result.Density.Where(d => d > 0).DefaultIfEmpty(1e-12).Max() * 1e-8;
            var band = $"{(100 * result.Confidence).ToString("G3", CultureInfo.InvariantCulture)}% band over probes";
            LossLandscape.Plotting.Charts.Lines(
                new[]
                {
                    new LossLandscape.Plotting.Series($"{op.Name} density", result.Grid, result.Density.Select(d => Math.Max(d, floor)).ToArray()),
                    new LossLandscape.Plotting.Series($"{band}, upper", result.Grid, result.DensityUpper.Select(d => Math.Max(d, floor)).ToArray()),
                    new LossLandscape.Plotting.Series($"{band}, lower", result.Grid, result.DensityLower.Select(d => Math.Max(d, floor)).ToArray()),
                },
                new LossLandscape.Plotting.ChartOptions($"Spectral density of the {op.Name} (SLQ: {settings.Probes} probes, {settings.Steps} steps, sigma {result.Sigma:G3})",
                    "eigenvalue", "density", LogY: true),
                settings.Plot);
        }
        var inv = CultureInfo.InvariantCulture;
        AnsiConsole.WriteLine($"operator: {op.Name} ({op.Dimension} parameters, {op.Examples} examples, loss {loss.ToString("G8", inv)})");
        AnsiConsole.WriteLine($"support: [{result.Probes.Min(p => p.Nodes[0]).ToString("G6", inv)}, {result.Probes.Max(p => p.Nodes[^1]).ToString("G6", inv)}], sigma {result.Sigma.ToString("G4", inv)}");
        AnsiConsole.WriteLine($"trace estimate: {result.TraceEstimate.ToString("G8", inv)} +- {result.TraceStandardError.ToString("G3", inv)} (standard error over probes; mean eigenvalue {result.Mean.ToString("G6", inv)})");
        AnsiConsole.WriteLine($"slq: {result.Applications} applications, {report.Seconds.ToString("F2", inv)} s");
        return 0;
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
