using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape sharpness</c>: Keskar et al.'s epsilon-sharpness of a model.</summary>
public sealed class SharpnessCommand : Command<SharpnessCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : ProbeSettings
    {
        /// <summary>Model weights.</summary>
        [CommandOption("--checkpoint <FILE>")]
        [Description("Checkpoint of theta.")]
        public string Checkpoint { get; init; } = "";

        /// <inheritdoc />
        public override string? NormalizationSource => Checkpoint;

        /// <summary>Epsilon.</summary>
        [CommandOption("--epsilon <EPS>")]
        [Description("Box size: |z_i| <= eps (|theta_i| + 1). Default: 1e-3.")]
        [DefaultValue(1e-3)]
        public double Epsilon { get; init; } = 1e-3;

        /// <summary>Steps.</summary>
        [CommandOption("--steps <N>")]
        [Description("Projected ascent steps. Default: 20.")]
        [DefaultValue(20)]
        public int Steps { get; init; } = 20;

        /// <summary>Step fraction.</summary>
        [CommandOption("--step-fraction <F>")]
        [Description("Step as a fraction of the box half-width. Default: 0.25.")]
        [DefaultValue(0.25)]
        public double StepFraction { get; init; } = 0.25;

        /// <summary>Subspace.</summary>
        [CommandOption("--subspace <P>")]
        [Description("Maximize in a random subspace of dimension p (z = A y). Default: the full space.")]
        public int? Subspace { get; init; }

        /// <summary>Top eigenvalue.</summary>
        [CommandOption("--top-eigenvalue <VALUE>")]
        [Description("A known top Hessian eigenvalue to report beside the sharpness.")]
        public double? TopEigenvalue { get; init; }

        /// <summary>Trace.</summary>
        [CommandOption("--trace <VALUE>")]
        [Description("A known Hessian trace to report beside the sharpness.")]
        public double? Trace { get; init; }

        /// <summary>Compute curvature.</summary>
        [CommandOption("--curvature")]
        [Description("Also compute the top Hessian eigenvalue (Lanczos) and the Hessian trace (Hutchinson, --trace-probes probes) on --data, BatchNorm in eval mode, and report them beside the sharpness.")]
        public bool Curvature { get; init; }

        /// <summary>Hutchinson probes.</summary>
        [CommandOption("--trace-probes <N>")]
        [Description("Rademacher probes of the Hutchinson trace with --curvature. Default: 30.")]
        [DefaultValue(30)]
        public int TraceProbes { get; init; } = 30;

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint is required.");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToProbeOptions();
        var source = ModelSource.Open(settings.Model, settings.Checkpoint, "--checkpoint");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        var space = new ParameterSpace(model);
        var probe = new LandscapeProbe(model, train, test, options, space);
        Curvature.HessianOperator? hessian = settings.Curvature
            ? new Curvature.HessianOperator(model, options.Loss, train, new Curvature.CurvatureOptions(BatchSize: settings.Chunk))
            : null;
        var r = Sharpness.Measure(probe, space.Get(), new SharpnessOptions
        {
            Epsilon = settings.Epsilon, Steps = settings.Steps, StepFraction = settings.StepFraction, SubspaceDimension = settings.Subspace,
            Seed = settings.Seed, TopEigenvalue = settings.TopEigenvalue, Trace = settings.Trace,
            TopEigenvalueProvider = hessian is null ? null : _ => Spectra.Lanczos.Run(hessian, new Spectra.LanczosOptions(Top: 1, Tolerance: 1e-4, Seed: settings.Seed)).Eigenvalues[0],
            TraceProvider = hessian is null ? null : _ => Spectra.Hutchinson.Estimate(hessian, new Spectra.HutchinsonOptions(Probes: settings.TraceProbes, Seed: settings.Seed)).Trace,
        });
        AnsiConsole.MarkupLine($"epsilon-sharpness: {F(r.Value)} (eps {F(r.Epsilon)}, {(r.SubspaceDimension is int p ? $"subspace p = {p}" : "full space")}, {r.Steps} steps)");
        AnsiConsole.MarkupLine($"loss: {F(r.BaseLoss)} -> max {F(r.MaxLoss)}; |z| {F(r.MaxPerturbationNorm)}; BatchNorm: {r.BatchNorm}");
        if (r.TopEigenvalue is double top) AnsiConsole.MarkupLine($"top eigenvalue: {F(top)}");
        if (r.Trace is double tr) AnsiConsole.MarkupLine($"trace: {F(tr)}");
        WriteOutputs(settings, new { command = "sharpness", model = source.Spec.Text, checkpoint = settings.Checkpoint, data = settings.Data, result = r }, null, null);
        return 0;
    }
}
