using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape surface</c>: the loss on a plane around a model, whole or one shard.</summary>
public sealed class SurfaceCommand : Command<SurfaceCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : ProbeSettings
    {
        /// <summary>Center.</summary>
        [CommandOption("--checkpoint <FILE>")]
        [Description("Checkpoint of the plane's origin theta (model A for --directions three).")]
        public string Checkpoint { get; init; } = "";

        /// <inheritdoc />
        public override string? NormalizationSource => Checkpoint;

        /// <summary>Direction kind.</summary>
        [CommandOption("--directions <KIND>")]
        [Description("filter (filter-normalized Gaussian, default), random (Gaussian), hessian (top-2 Hessian eigenvectors by Lanczos on --data, BatchNorm in eval mode), given (--dir1/--dir2 checkpoints) or three (plane through --checkpoint, --checkpoint-b, --checkpoint-c).")]
        [DefaultValue("filter")]
        public string Directions { get; init; } = "filter";

        /// <summary>First given direction.</summary>
        [CommandOption("--dir1 <FILE>")]
        [Description("First direction as a checkpoint of the same architecture (for example a Hessian eigenvector).")]
        public string? Dir1 { get; init; }

        /// <summary>Second given direction.</summary>
        [CommandOption("--dir2 <FILE>")]
        [Description("Second direction as a checkpoint of the same architecture.")]
        public string? Dir2 { get; init; }

        /// <summary>Second model.</summary>
        [CommandOption("--checkpoint-b <FILE>")]
        [Description("Checkpoint of the second model of the plane through three models (--directions three).")]
        public string? CheckpointB { get; init; }

        /// <summary>Old spelling of --checkpoint-b.</summary>
        [CommandOption("--model-b <FILE>", IsHidden = true)]
        [Description("Old spelling of --checkpoint-b.")]
        public string? ModelBAlias { get; init; }

        /// <summary>Third model.</summary>
        [CommandOption("--checkpoint-c <FILE>")]
        [Description("Checkpoint of the third model of the plane through three models (--directions three).")]
        public string? CheckpointC { get; init; }

        /// <summary>Old spelling of --checkpoint-c.</summary>
        [CommandOption("--model-c <FILE>", IsHidden = true)]
        [Description("Old spelling of --checkpoint-c.")]
        public string? ModelCAlias { get; init; }

        /// <summary>The second model's checkpoint (--checkpoint-b or its old spelling --model-b).</summary>
        public string? ModelB => OptionAlias.Pick("--checkpoint-b", CheckpointB, "--model-b", ModelBAlias);

        /// <summary>The third model's checkpoint (--checkpoint-c or its old spelling --model-c).</summary>
        public string? ModelC => OptionAlias.Pick("--checkpoint-c", CheckpointC, "--model-c", ModelCAlias);

        /// <summary>Bias and BatchNorm directions.</summary>
        [CommandOption("--include-bias-bn")]
        [Description("Filter normalization: give biases and BatchNorm parameters a direction too (zero by default).")]
        public bool IncludeBiasAndBatchNorm { get; init; }

        /// <summary>x range.</summary>
        [CommandOption("--x-range <RANGE>")]
        [Description("MIN:MAX:COUNT along d1. Default: -1:1:21.")]
        [DefaultValue("-1:1:21")]
        public string X { get; init; } = "-1:1:21";

        /// <summary>y range.</summary>
        [CommandOption("--y-range <RANGE>")]
        [Description("MIN:MAX:COUNT along d2. Default: -1:1:21.")]
        [DefaultValue("-1:1:21")]
        public string Y { get; init; } = "-1:1:21";

        /// <summary>Shard.</summary>
        [CommandOption("--shard <I/N>")]
        [Description("Compute only shard i of n (0-based) and write it to --json; merge the shards with llscape merge. Completed points are saved to JSON.partial as they go: a re-run resumes there, and a complete shard of the same inputs is not computed again.")]
        public string? Shard { get; init; }

        /// <summary>Shard layout.</summary>
        [CommandOption("--shard-layout <LAYOUT>")]
        [Description("round-robin (default) or contiguous.")]
        [DefaultValue("round-robin")]
        public string ShardLayout { get; init; } = "round-robin";

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint is required (the plane's origin).");
            if (Shard is not null && Json is null) return ValidationResult.Error("--shard needs --json FILE to write the shard to.");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var grid = CoordinateSpec.ParseGrid(settings.X, settings.Y);
        var layout = settings.ShardLayout.Trim().ToLowerInvariant() switch
        {
            "round-robin" or "roundrobin" => Landscape.ShardLayout.RoundRobin,
            "contiguous" => Landscape.ShardLayout.Contiguous,
            _ => throw new LossLandscapeException($"Shard layout '{settings.ShardLayout}' is not known: use round-robin or contiguous."),
        };
        var shard = settings.Shard is null ? null : CoordinateSpec.ParseShard(settings.Shard, layout);
        var options = settings.ToProbeOptions();
        var directions = settings.Directions.Trim().ToLowerInvariant();
        if (directions is not ("hessian" or "filter" or "filter-normalized" or "random" or "given" or "three"))
            throw new LossLandscapeException($"Directions '{settings.Directions}' are not known: use filter, random, hessian, given or three.");
        if (directions == "given" && (settings.Dir1 is null || settings.Dir2 is null))
            throw new LossLandscapeException("--directions given needs --dir1 and --dir2.");
        if (directions == "three" && (settings.ModelB is null || settings.ModelC is null))
            throw new LossLandscapeException("--directions three needs --checkpoint-b and --checkpoint-c.");
        var source = ModelSource.Open(settings.Model, settings.Checkpoint, "--checkpoint");
        if (directions == "three")
        {
            source.CheckSameModel(settings.ModelB!, "--checkpoint-b");
            source.CheckSameModel(settings.ModelC!, "--checkpoint-c");
        }
        foreach (var (dir, option) in new[] { (settings.Dir1, "--dir1"), (settings.Dir2, "--dir2") })
            if (directions == "given" && !File.Exists(dir))
                throw new LossLandscapeException($"{option} '{dir}' does not exist: give a checkpoint file (.safetensors) of the same architecture.");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        var space = new ParameterSpace(model);
        var theta = space.Get();
        using var gen = Generator(settings, runtime);
        using var plane = directions switch
        {
            "hessian" => PlaneBasis.FromProvider(space, theta, HessianDirections.Provider(
                new Curvature.HessianOperator(model, options.Loss, train, new Curvature.CurvatureOptions(BatchSize: settings.Chunk)),
                settings.Seed)),
            "filter" or "filter-normalized" => Landscape.Directions.FilterNormalizedPlane(space, theta, gen, settings.IncludeBiasAndBatchNorm),
            "random" => Landscape.Directions.RandomPlane(space, theta, gen),
            "given" => PlaneBasis.Given(space, theta,
                PointOf(model, space, settings.Dir1 ?? throw new LossLandscapeException("--directions given needs --dir1 and --dir2.")).Theta,
                PointOf(model, space, settings.Dir2 ?? throw new LossLandscapeException("--directions given needs --dir1 and --dir2.")).Theta),
            "three" => PlaneBasis.ThroughThree(theta,
                PointOf(model, space, settings.ModelB ?? throw new LossLandscapeException("--directions three needs --checkpoint-b and --checkpoint-c.")).Theta,
                PointOf(model, space, settings.ModelC ?? throw new LossLandscapeException("--directions three needs --checkpoint-b and --checkpoint-c.")).Theta,
                "A", "B", "C"),
            _ => throw new LossLandscapeException($"Directions '{settings.Directions}' are not known: use filter, random, hessian, given or three."),
        };
        var probe = new LandscapeProbe(model, train, test, options, space);

        if (shard is not null)
        {
            var run = ResumableShard.Run(probe, plane, grid, shard, settings.Json!);
            var part = run.Shard;
            if (run.State == ShardRunState.AlreadyComplete)
                AnsiConsole.MarkupLine($"shard {shard}: already complete in {Markup.Escape(settings.Json!)} (same inputs); nothing to compute");
            else if (run.State == ShardRunState.Resumed)
                AnsiConsole.MarkupLine($"shard {shard}: resumed, {run.PointsBefore} points were already written, {run.PointsComputed} computed now");
            AnsiConsole.MarkupLine($"shard {shard}: {part.Points.Count} of {grid.Count} points, BatchNorm: {part.BatchNorm}, fingerprint {part.Fingerprint[..12]}");
            AnsiConsole.MarkupLine($"json: {Markup.Escape(settings.Json!)}");
            return 0;
        }
        var r = probe.ScanPlane(plane, grid);
        Report(r);
        WriteOutputs(settings, r, () => LandscapeFiles.PlaneCsv(r), path => LandscapePlots.Plane(r, path));
        return 0;
    }

    internal static void Report(PlaneScanResult r)
    {
        var all = r.Losses.SelectMany(row => row).ToArray();
        AnsiConsole.MarkupLine($"plane: {r.Kind}, grid {r.X.Length} x {r.Y.Length}, BatchNorm: {r.BatchNorm}");
        AnsiConsole.MarkupLine($"loss: min {F(all.Min())}, max {F(all.Max())}");
        foreach (var a in r.Anchors) AnsiConsole.MarkupLine($"anchor {Markup.Escape(a.Name)}: ({F(a.X)}, {F(a.Y)})");
    }
}
