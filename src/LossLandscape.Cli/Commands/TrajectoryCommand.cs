using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape trajectory</c>: a training run's checkpoints on their top-2 PCA plane, with the loss underneath.</summary>
public sealed class TrajectoryCommand : Command<TrajectoryCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : ProbeSettings
    {
        /// <summary>Checkpoints.</summary>
        [CommandOption("--checkpoints <FILES>")]
        [Description("Checkpoints in training order (the last is the final model): space- or comma-separated files, as for barriers, or a folder whose *.safetensors are taken in name order.")]
        public string[] Checkpoints { get; init; } = Array.Empty<string>();

        /// <summary>Grid size.</summary>
        [CommandOption("--grid <N>")]
        [Description("Grid points per axis around the projected path (20% margin). Default: 21.")]
        [DefaultValue(21)]
        public int Grid { get; init; } = 21;

        /// <summary>x range.</summary>
        [CommandOption("--x-range <RANGE>")]
        [Description("MIN:MAX:COUNT along PC1 (with --y-range; overrides --grid).")]
        public string? X { get; init; }

        /// <summary>y range.</summary>
        [CommandOption("--y-range <RANGE>")]
        [Description("MIN:MAX:COUNT along PC2.")]
        public string? Y { get; init; }

        /// <inheritdoc />
        public override string? NormalizationSource => Files(this).LastOrDefault();

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Checkpoints.All(string.IsNullOrWhiteSpace)) return ValidationResult.Error("--checkpoints is required.");
            if ((X is null) != (Y is null)) return ValidationResult.Error("Give both --x-range and --y-range, or neither.");
            return base.Validate();
        }
    }

    /// <summary>
    /// The checkpoints of a folder in name order: its own <c>*.safetensors</c>, or else the <c>model.safetensors</c> of
    /// each subfolder (the layout <c>llscape train</c> writes: <c>checkpoints/step-NNNNNNNN/model.safetensors</c>);
    /// a run folder is searched in its <c>checkpoints</c> subfolder.
    /// </summary>
    internal static string[] CheckpointsIn(string folder)
    {
        var runCheckpoints = Path.Combine(folder, "checkpoints");
        if (Directory.Exists(runCheckpoints)) return CheckpointsIn(runCheckpoints);
        var direct = Directory.GetFiles(folder, "*.safetensors").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var nested = Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "model.safetensors")).Where(File.Exists).ToArray();
        return nested.Length > direct.Length ? nested : direct;
    }

    /// <summary>The checkpoints --checkpoints names: one folder's (see <see cref="CheckpointsIn"/>), or the files given, each value also split at commas.</summary>
    internal static string[] Files(Settings settings) => settings.Checkpoints.Length == 1 && Directory.Exists(settings.Checkpoints[0])
        ? CheckpointsIn(settings.Checkpoints[0])
        : settings.Checkpoints.SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    /// <summary>The --checkpoints values as the user gave them, for messages.</summary>
    private static string Given(Settings settings) => string.Join(" ", settings.Checkpoints);

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var files = Files(settings);
        var grid = settings.X is null ? null : CoordinateSpec.ParseGrid(settings.X, settings.Y!);
        var options = settings.ToProbeOptions();
        if (files.Length == 1 && !File.Exists(files[0]))
            throw new LossLandscapeException($"--checkpoints '{Given(settings)}' is neither a folder nor a checkpoint file: give a run folder of llscape train (with --checkpoint-every) or the checkpoint files.");
        if (files.Length < 3)
            throw new LossLandscapeException($"--checkpoints '{Given(settings)}' names {files.Length} checkpoint(s); a trajectory needs at least 3 (files, or a run folder of llscape train with --checkpoint-every).");
        var source = ModelSource.Open(settings.Model, files[^1], "--checkpoints");
        foreach (var f in files) source.CheckSameModel(f, "--checkpoints");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        var space = new ParameterSpace(model);
        var thetas = files.Select(f => PointOf(model, space, f).Theta).ToList();
        var probe = new LandscapeProbe(model, train, test, options, space);
        var r = Trajectory.Run(probe, thetas, files.Select(Path.GetFileNameWithoutExtension).Select(n => n ?? "").ToArray(), grid, settings.Grid);
        var table = new Table().AddColumns("checkpoint", "x", "y");
        foreach (var p in r.Points) table.AddRow(Markup.Escape(p.Name), F(p.X), F(p.Y));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"explained variance: PC1 {F(r.ExplainedVariance[0])}, PC2 {F(r.ExplainedVariance[1])}; BatchNorm: {r.Surface.BatchNorm}");
        WriteOutputs(settings, new { command = "trajectory", model = source.Spec.Text, checkpoints = files, data = settings.Data, result = r },
            () => LandscapeFiles.TrajectoryCsv(r), path => LandscapePlots.Trajectory(r, path));
        return 0;
    }
}
