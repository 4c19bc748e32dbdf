using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LossLandscape.Spectra;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape spectrum</c>: extreme eigenvalues of the Hessian, Gauss-Newton or residual operator.</summary>
public sealed class SpectrumCommand : Command<SpectrumCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : CurvatureSettings
    {
        /// <summary>Top count.</summary>
        [CommandOption("--top <K>")]
        [Description("How many of the largest eigenvalues. Default: 1.")]
        [DefaultValue(1)]
        public int Top { get; init; } = 1;

        /// <summary>Bottom count.</summary>
        [CommandOption("--bottom <K>")]
        [Description("How many of the smallest eigenvalues. Default: 0.")]
        [DefaultValue(0)]
        public int Bottom { get; init; }

        /// <summary>Method.</summary>
        [CommandOption("--method <METHOD>")]
        [Description("lanczos (default) or power (deflated power iteration, PyHessian's baseline).")]
        [DefaultValue("lanczos")]
        public string Method { get; init; } = "lanczos";

        /// <summary>Tolerance.</summary>
        [CommandOption("--tol <TOL>")]
        [Description("Convergence tolerance (relative). Default: 1e-4 in float32, 1e-8 in float64.")]
        public double? Tolerance { get; init; }

        /// <summary>Iteration limit.</summary>
        [CommandOption("--max-iter <N>")]
        [Description("Most Lanczos steps (or power iterations per eigenvalue). Default: automatic.")]
        public int? MaxIterations { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var session = CurvatureSession.Open(settings);
        var op = session.Operator;
        double tol = settings.Tolerance ?? (op.DType == ScalarType.Float64 ? 1e-8 : 1e-4);
        var method = settings.Method.Trim().ToLowerInvariant();
        EigenResult result;
        using (var status = new StatusLine())
        {
            var progress = status.For<EigenProgress>(p => $"{method}: iteration {p.Iteration}, {op.Applications} applications" +
                (p.Top.Length > 0 ? $", top {p.Top[0].ToString("G6", CultureInfo.InvariantCulture)}" : "") +
                (p.TopResiduals.Length > 0 ? $" (largest residual {p.TopResiduals.Max().ToString("G2", CultureInfo.InvariantCulture)})" : ""));
            result = method switch
            {
                "lanczos" => Lanczos.Run(op, new LanczosOptions(settings.Top, settings.Bottom, tol, settings.MaxIterations, Seed: settings.Seed), progress, cancellationToken),
                "power" => PowerIteration.Run(op, new PowerIterationOptions(settings.Top, settings.Bottom, tol, settings.MaxIterations ?? 1000, settings.Seed), progress, cancellationToken),
                _ => throw new LossLandscapeException($"--method '{settings.Method}' is not valid: use lanczos or power."),
            };
        }
        double loss = op.EvaluateLoss();
        var report = new SpectrumReport(op.Name, result.Method, result.Eigenvalues, result.Bottom, result.Residuals, result.BottomResiduals,
            result.Applications, result.Iterations, result.Converged, loss, op.Dimension, op.Examples, op.Options.BatchSize,
            op.DType == ScalarType.Float64 ? "float64" : "float32", watch.Elapsed.TotalSeconds);
        SpectrumJson.Write(settings.Json, report);
        AnsiConsole.WriteLine($"operator: {op.Name} ({op.Dimension} parameters, {op.Examples} examples, loss {loss.ToString("G8", CultureInfo.InvariantCulture)})");
        if (result.Eigenvalues.Length > 0) AnsiConsole.WriteLine($"top: {SpectrumJson.Format(result.Eigenvalues)}");
        if (result.Bottom.Length > 0) AnsiConsole.WriteLine($"bottom: {SpectrumJson.Format(result.Bottom)}");
        AnsiConsole.WriteLine($"{result.Method}: {result.Applications} applications, converged: {(result.Converged ? "yes" : "no")}, {report.Seconds.ToString("F2", CultureInfo.InvariantCulture)} s");
        return 0;
    }
}

/// <summary>The JSON written by <c>llscape spectrum</c>.</summary>
/// <param name="Operator">hessian, ggn or residual.</param>
/// <param name="Method">lanczos or power.</param>
/// <param name="Eigenvalues">Top eigenvalues, descending.</param>
/// <param name="Bottom">Bottom eigenvalues, ascending.</param>
/// <param name="Residuals">Residual norms of the top eigenpairs.</param>
/// <param name="BottomResiduals">Residual norms of the bottom eigenpairs.</param>
/// <param name="Applications">Operator applications.</param>
/// <param name="Iterations">Iterations.</param>
/// <param name="Converged">All requested eigenvalues met the tolerance.</param>
/// <param name="Loss">Mean loss over the examples.</param>
/// <param name="Parameters">Number of parameters the operator acts on.</param>
/// <param name="Examples">Number of examples.</param>
/// <param name="BatchSize">Batch size.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="Seconds">Wall-clock time of the whole command.</param>
public sealed record SpectrumReport(string Operator, string Method, double[] Eigenvalues, double[] Bottom, double[] Residuals, double[] BottomResiduals,
    long Applications, int Iterations, bool Converged, double Loss, long Parameters, long Examples, long BatchSize, string Dtype, double Seconds);
