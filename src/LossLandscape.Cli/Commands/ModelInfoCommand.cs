using System.ComponentModel;
using LossLandscape.Models;
using LossLandscape.Specs;
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
        [Description("Model spec, for example mlp:784-500-300-10, resnet20, resnet56-noshort, alexnet-c1, meanfield:40x800.")]
        public string Spec { get; init; } = "";

        /// <summary>Input shape.</summary>
        [CommandOption("--input <SHAPE>")]
        [Description("Shape of one example, for example 3x32x32 or 1x28x28. Default: what the spec implies (3x32x32 for convolutional nets).")]
        public string? Input { get; init; }

        /// <summary>Class count.</summary>
        [CommandOption("--classes <K>")]
        [Description("Number of classes (outputs). Default: what the spec implies (10 for convolutional nets).")]
        public int? Classes { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = ModelSpec.Parse(settings.Spec);
        var runtime = settings.ToRuntimeOptions().Apply();
        var input = settings.Input is null ? spec.DefaultInputShape : ModelSpec.ParseShape(settings.Input);
        using var model = spec.Create(input, settings.Classes ?? spec.DefaultClasses);
        model.to(runtime.DType).to(runtime.Device);
        var summary = ModelSummary.Of(model);
        var table = new Table().Title($"[bold]{Markup.Escape(spec.Text)}[/] (input {string.Join("x", input)}, {settings.Classes ?? spec.DefaultClasses} outputs)");
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
