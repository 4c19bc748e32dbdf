using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape barriers</c>: the same-basin barrier matrix of several models (a line scan between every pair and its barriers).</summary>
public sealed class BarriersCommand : Command<BarriersCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : ProbeSettings
    {
        /// <summary>Checkpoints.</summary>
        [CommandOption("--checkpoints <FILES>")]
        [Description("The models' checkpoints (at least 2, of one model spec): --checkpoints A.safetensors B.safetensors C.safetensors (or the option repeated per file). Every pair is scanned.")]
        public string[] Checkpoints { get; init; } = Array.Empty<string>();

        /// <summary>Coefficients.</summary>
        [CommandOption("--alphas <ALPHAS>")]
        [Description("START:STOP:COUNT or a comma-separated list, from 0 to 1 and increasing (the two models are the ends). Default: 0:1:21.")]
        [DefaultValue("0:1:21")]
        public string Alphas { get; init; } = "0:1:21";

        /// <summary>Shard.</summary>
        [CommandOption("--shard <I/N>")]
        [Description("Compute only shard i of n (0-based) of the points (every pair's coefficients) and write it to --json; merge the shards with llscape merge, which gives exactly the single-process matrix. Completed points are saved to JSON.partial as they go: a re-run resumes there, and a complete shard of the same inputs is not computed again.")]
        public string? Shard { get; init; }

        /// <inheritdoc />
        public override string? NormalizationSource => Checkpoints.FirstOrDefault();

        /// <inheritdoc />
        public override IEnumerable<OutputPath> Outputs => [new("--json", Json), new("--csv", Csv)];

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Checkpoints.Length < 2) return ValidationResult.Error($"--checkpoints needs at least 2 checkpoints (got {Checkpoints.Length}): --checkpoints A.safetensors B.safetensors ...");
            if (Plot is not null) return ValidationResult.Error("--plot is not available for barriers; write --json or --csv.");
            if (Shard is not null && Json is null) return ValidationResult.Error("--shard needs --json FILE to write the shard to.");
            if (Shard is not null && Csv is not null) return ValidationResult.Error("--csv applies to the whole matrix: give it to llscape merge, not to a shard.");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var alphas = CoordinateSpec.ParseAlphas(settings.Alphas);
        BarrierShards.CheckAlphas(alphas);
        var shard = settings.Shard is null ? null : CoordinateSpec.ParseShard(settings.Shard);
        var options = settings.ToProbeOptions();
        var source = ModelSource.Open(settings.Model, settings.Checkpoints[0], "--checkpoints");
        foreach (var c in settings.Checkpoints.Skip(1)) source.CheckSameModel(c, "--checkpoints");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        var space = new ParameterSpace(model);
        var models = new List<ModelPoint>();
        try
        {
            foreach (var c in settings.Checkpoints) models.Add(PointOf(model, space, c));
            var probe = new LandscapeProbe(model, train, test, options, space);
            int total = BarrierMatrix.PairsOf(models.Count).Count * alphas.Length;
            if (shard is not null)
            {
                var run = ResumableShard.RunBarriers(probe, models, settings.Checkpoints, alphas, shard, settings.Json!);
                TraceCommand.ReportShard(shard, run.State, run.PointsBefore, run.PointsComputed, run.Shard.Points.Count, total, "points", run.Shard.Fingerprint, settings.Json!);
                return 0;
            }
            var matrix = BarrierShards.Merge(new[] { BarrierShards.Compute(probe, models, settings.Checkpoints, alphas, ShardSpec.Single) });
            Write(matrix, settings);
            return 0;
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>Prints the matrix and writes the files asked for.</summary>
    internal static void Write(BarrierMatrix matrix, ProbeSettings outputs)
    {
        var table = new Table().AddColumns("pair", "loss barrier", "error barrier");
        if (matrix.HasTest) table.AddColumns("test loss barrier", "test error barrier");
        foreach (var p in matrix.Pairs)
        {
            var row = new List<string> { $"{p.A}-{p.B}", F(p.Train.LossAboveMeanOfEnds), F(p.Train.ErrorAboveMeanOfEnds) };
            if (p.Test is not null) row.AddRange(new[] { F(p.Test.LossAboveMeanOfEnds), F(p.Test.ErrorAboveMeanOfEnds) });
            table.AddRow(row.ToArray());
        }
        AnsiConsole.Write(table);
        for (int i = 0; i < matrix.Checkpoints.Length; i++) AnsiConsole.MarkupLine($"model {i}: {Markup.Escape(matrix.Checkpoints[i])}");
        AnsiConsole.MarkupLine($"barriers above the mean of the ends (the JSON and CSV also hold those above the higher end): {matrix.Checkpoints.Length} models, {matrix.Pairs.Count} pairs, {matrix.Alphas.Length} coefficients each; BatchNorm: {matrix.BatchNorm}");
        WriteOutputs(outputs, matrix, matrix.ToCsv, null);
    }
}
