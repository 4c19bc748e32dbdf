using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Plotting;
using Spectre.Console.Cli;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape merge</c>: merges the shards of a surface into one grid, those of a line scan into one line, and those of a barrier matrix, a trace or a density into the single-process result.</summary>
public sealed class MergeCommand : Command<MergeCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : GlobalSettings, IWritesOutputs
    {
        /// <summary>Shard files.</summary>
        [CommandArgument(0, "<SHARDS>")]
        [Description("Shard files written with --shard i/n --json FILE by llscape surface (a grid), interpolate (a line scan), barriers (a barrier matrix), trace (a Hutchinson estimate) or density (an SLQ density); or the run folders of llscape train runs that differ only in --seed (a table of their final metrics with mean and standard deviation).")]
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
        var outputs = new ProbeSettingsView(settings.Json, settings.Csv, settings.Plot);
        if (settings.Shards.Length > 0 && settings.Shards.All(Directory.Exists))
        {
            if (settings.Plot is not null) throw new LossLandscapeException("--plot applies to grids and lines; for training runs give --json or --csv.");
            var summary = RunSummary.Read(settings.Shards);
            foreach (var run in summary.Runs.Append(summary.Mean).Append(summary.Std))
                Spectre.Console.AnsiConsole.MarkupLine(Spectre.Console.Markup.Escape(
                    $"{run.Run}: step {run.Step}, train loss {ProbeCommandSupport.F(run.TrainLoss)}, train accuracy {ProbeCommandSupport.F(run.TrainAccuracy)}, test loss {ProbeCommandSupport.F(run.TestLoss)}, test accuracy {ProbeCommandSupport.F(run.TestAccuracy)}"));
            ProbeCommandSupport.WriteOutputs(outputs, summary, summary.ToCsv, null);
            return 0;
        }
        var kind = settings.Shards.Length > 0 ? LandscapeFiles.ShardOf(settings.Shards[0]) : null;
        foreach (var other in settings.Shards.Skip(1))
        {
            var k = LandscapeFiles.ShardOf(other);
            if (k != kind)
                throw new LossLandscapeException($"'{other}' and '{settings.Shards[0]}' are not shards of one kind ({k ?? "no trace, density or barriers shard"}; {kind ?? "no trace, density or barriers shard"}): merge the shards of one run.");
        }
        switch (kind)
        {
            case Spectra.TraceShard.Kind:
            {
                if (settings.Csv is not null || settings.Plot is not null) throw new LossLandscapeException("A trace merges into --json only (leave --csv and --plot out).");
                var merged = Spectra.TraceShards.Merge(settings.Shards.Select(Spectra.TraceShards.Read).ToArray());
                TraceCommand.Write(TraceCommand.ReportOf(merged, merged.Seconds), settings.Json);
                return 0;
            }
            case Spectra.DensityShard.Kind:
            {
                if (settings.Csv is not null) throw new LossLandscapeException("A density merges into --json and --plot (leave --csv out).");
                DensityCommand.WriteMerged(Spectra.DensityShards.Merge(settings.Shards.Select(Spectra.DensityShards.Read).ToArray()), settings.Json, settings.Plot);
                return 0;
            }
            case BarrierShard.Kind:
            {
                if (settings.Plot is not null) throw new LossLandscapeException("A barrier matrix merges into --json and --csv (leave --plot out).");
                BarriersCommand.Write(BarrierShards.Merge(settings.Shards.Select(BarrierShards.Read).ToArray()), outputs);
                return 0;
            }
        }
        if (settings.Shards.Length > 0 && LandscapeFiles.IsLineShard(settings.Shards[0]))
        {
            var line = LineMerge.Merge(settings.Shards.Select(LandscapeFiles.ReadLineShard).ToArray());
            var losses = line.Points.Select(p => p.Loss).ToArray();
            Spectre.Console.AnsiConsole.MarkupLine($"line: {line.Points.Count} points, BatchNorm: {line.BatchNorm}; loss: min {ProbeCommandSupport.F(losses.Min())}, max {ProbeCommandSupport.F(losses.Max())}");
            ProbeCommandSupport.WriteOutputs(outputs, line, () => LandscapeFiles.LineCsv(line), path => LandscapePlots.Line(line, path));
            return 0;
        }
        var shards = settings.Shards.Select(LandscapeFiles.ReadShard).ToArray();
        var r = GridMerge.Merge(shards);
        SurfaceCommand.Report(r);
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
