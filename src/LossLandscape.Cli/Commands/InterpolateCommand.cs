using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape interpolate</c>: loss and accuracy along the line between two models.</summary>
public sealed class InterpolateCommand : Command<InterpolateCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : TwoModelSettings
    {
        /// <summary>Coefficients.</summary>
        [CommandOption("--alphas <ALPHAS>")]
        [Description("START:STOP:COUNT or a comma-separated list. Default: -1:2:31.")]
        [DefaultValue("-1:2:31")]
        public string Alphas { get; init; } = "-1:2:31";

        /// <summary>Norm-preserving variant.</summary>
        [CommandOption("--norm-preserving")]
        [Description("Rescale each point to the norm (1 - a)|theta_A| + a|theta_B|.")]
        public bool NormPreserving { get; init; }

        /// <summary>Shard.</summary>
        [CommandOption("--shard <I/N>")]
        [Description("Compute only shard i of n (0-based) of the coefficients and write it to --json; merge the shards with llscape merge. Completed points are saved to JSON.partial as they go: a re-run resumes there, and a complete shard of the same inputs is not computed again.")]
        public string? Shard { get; init; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Shard is not null && Json is null) return ValidationResult.Error("--shard needs --json FILE to write the shard to.");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var alphas = CoordinateSpec.ParseAlphas(settings.Alphas);
        var options = settings.ToProbeOptions();
        var source = ModelSource.Open(settings.Model, settings.From, "--from");
        source.CheckSameModel(settings.To, "--to");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        var space = new ParameterSpace(model);
        var a = PointOf(model, space, settings.From);
        var b = PointOf(model, space, settings.To);
        var probe = new LandscapeProbe(model, train, test, options, space);
        if (settings.Shard is not null)
        {
            var shard = CoordinateSpec.ParseShard(settings.Shard);
            var run = ResumableShard.RunLine(probe, a, b, alphas, settings.NormPreserving, shard, settings.Json!);
            if (run.State == ShardRunState.AlreadyComplete)
                AnsiConsole.MarkupLine($"shard {shard}: already complete in {Markup.Escape(settings.Json!)} (same inputs); nothing to compute");
            else if (run.State == ShardRunState.Resumed)
                AnsiConsole.MarkupLine($"shard {shard}: resumed, {run.PointsBefore} points were already written, {run.PointsComputed} computed now");
            AnsiConsole.MarkupLine($"shard {shard}: {run.Shard.Points.Count} of {alphas.Length} points, BatchNorm: {run.Shard.BatchNorm}, fingerprint {run.Shard.Fingerprint[..12]}");
            AnsiConsole.MarkupLine($"json: {Markup.Escape(settings.Json!)}");
            return 0;
        }
        var r = probe.Interpolate(a, b, alphas, settings.NormPreserving);

        var table = new Table().AddColumns("alpha", "loss", "accuracy");
        if (test is not null) table.AddColumns("test loss", "test accuracy");
        foreach (var p in r.Points)
            table.AddRow(test is null ? new[] { F(p.Alpha), F(p.Loss), F(p.Accuracy) } : new[] { F(p.Alpha), F(p.Loss), F(p.Accuracy), F(p.TestLoss), F(p.TestAccuracy) });
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"BatchNorm: {r.BatchNorm}; norm-preserving: {(r.NormPreserving ? "yes" : "no")}");
        WriteOutputs(settings,
            new { command = "interpolate", model = source.Spec.Text, from = settings.From, to = settings.To, data = settings.Data, testData = settings.TestData, r.Kind, r.NormPreserving, r.BatchNorm, r.Loss, r.NormA, r.NormB, r.Points },
            () => LandscapeFiles.LineCsv(r), path => LandscapePlots.Line(r, path));
        return 0;
    }
}
