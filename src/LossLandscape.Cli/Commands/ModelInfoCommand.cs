using System.ComponentModel;
using LossLandscape.Models;
using Spectre.Console;
using TorchSharp;
using Spectre.Console.Cli;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape model info SPEC</c>.</summary>
public sealed class ModelInfoCommand : Command<ModelInfoCommand.Settings>
{
    /// <summary>Arguments.</summary>
    public sealed class Settings : GlobalSettings
    {
        /// <summary>The model spec.</summary>
        [CommandArgument(0, "<SPEC>")]
        [Description("Model spec, for example mlp:784-500-300-10.")]
        public string Spec { get; init; } = "";
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = ModelSpec.Parse(settings.Spec);
        var runtime = settings.ToRuntimeOptions().Apply();
        using var model = spec.Create();
        model.to(runtime.DType).to(runtime.Device);
        var summary = ModelSummary.Of(model);
        var table = new Table().Title($"[bold]{Markup.Escape(spec.Text)}[/]");
        table.AddColumn("layer");
        table.AddColumn("type");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn("shapes");
        foreach (var l in summary.Layers)
            table.AddRow(Markup.Escape(l.Name), Markup.Escape(l.Type), l.Parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(l.Shapes));
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine($"parameters: {summary.TotalParameters} (trainable {summary.TrainableParameters})");
        return 0;
    }
}
