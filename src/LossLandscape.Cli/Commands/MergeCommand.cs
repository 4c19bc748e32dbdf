using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Plotting;
using Spectre.Console.Cli;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape merge</c>: merges the shards of a surface into one grid.</summary>
public sealed class MergeCommand : Command<MergeCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : GlobalSettings, IWritesOutputs
    {
        /// <summary>Shard files.</summary>
        [CommandArgument(0, "<SHARDS>")]
        [Description("Shard files written by llscape surface --shard i/n --json FILE.")]
        public string[] Shards { get; init; } = Array.Empty<string>();

        /// <summary>JSON output.</summary>
        [CommandOption("--json <FILE>")]
        [Description("Write the merged grid as JSON.")]
        public string? Json { get; init; }

        /// <summary>CSV output.</summary>
        [CommandOption("--csv <FILE>")]
        [Description("Write the merged grid as CSV.")]
        public string? Csv { get; init; }

        /// <summary>Plot output.</summary>
        [CommandOption("--plot <FILE>")]
        [Description("Write a plot (.png or .svg).")]
        public string? Plot { get; init; }

        /// <inheritdoc />
        public IEnumerable<OutputPath> Outputs => [new("--json", Json), new("--csv", Csv), new("--plot", Plot, false, ".png", ".svg")];
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var shards = settings.Shards.Select(LandscapeFiles.ReadShard).ToArray();
        var r = GridMerge.Merge(shards);
        SurfaceCommand.Report(r);
        var outputs = new ProbeSettingsView(settings.Json, settings.Csv, settings.Plot);
        ProbeCommandSupport.WriteOutputs(outputs, r, () => LandscapeFiles.PlaneCsv(r), path => LandscapePlots.Plane(r, path));
        return 0;
    }

    private sealed class ProbeSettingsView : ProbeSettings
    {
        public ProbeSettingsView(string? json, string? csv, string? plot)
        {
            Json = json;
            Csv = csv;
            Plot = plot;
        }
    }
}
