using System.ComponentModel;
using System.Globalization;
using LossLandscape.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape data info NAME [--data-dir DIR]</c>.</summary>
public sealed class DataInfoCommand : Command<DataInfoCommand.Settings>
{
    /// <summary>Arguments.</summary>
    public sealed class Settings : GlobalSettings
    {
        /// <summary>The data set.</summary>
        [CommandArgument(0, "<NAME>")]
        [PlainDescription("Data set: " + DataCatalog.Syntax + ".")]
        public string Name { get; init; } = "";

        /// <summary>A data folder searched first.</summary>
        [CommandOption("--data-dir <DIR>")]
        [Description("Folder searched first for the data set's files (as DIR/NAME and DIR itself).")]
        public string? DataDir { get; init; }

        /// <summary>Forbid downloads.</summary>
        [CommandOption("--offline")]
        [Description("Never download; fail with the list of places looked in when the data is not on disk.")]
        public bool Offline { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        settings.ToRuntimeOptions().Apply();
        var options = DataArguments.CatalogOptions(settings.DataDir);
        if (settings.Offline) options = options with { AllowDownload = false };
        DataSplit split;
        using (var status = new StatusLine(log: true))
        {
            options = options with { Progress = status.For<DownloadProgress>(Download) };
            split = new DataCatalog(options).Load(settings.Name, cancellationToken);
        }
        using var _ = split;
        var inv = CultureInfo.InvariantCulture;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(settings.Name)}[/]");
        AnsiConsole.WriteLine($"source: {LibraryTerms.Translate(split.Source)}");
        if (split.Note is not null) AnsiConsole.WriteLine($"note: {LibraryTerms.Translate(split.Note)}");
        AnsiConsole.WriteLine($"train: {split.Train.Count.ToString(inv)} examples, shape [{string.Join(", ", split.Train.Inputs.shape)}], {split.Train.Inputs.dtype}");
        AnsiConsole.WriteLine($"test: {split.Test.Count.ToString(inv)} examples, shape [{string.Join(", ", split.Test.Inputs.shape)}]");
        AnsiConsole.WriteLine($"classes: {split.Train.NumClasses.ToString(inv)}");
        var train = split.Train.ClassHistogram();
        var test = split.Test.ClassHistogram();
        var table = new Table().Title("class histogram");
        table.AddColumn(new TableColumn("label").RightAligned());
        table.AddColumn("class");
        table.AddColumn(new TableColumn("train").RightAligned());
        table.AddColumn(new TableColumn("test").RightAligned());
        for (int c = 0; c < split.Train.NumClasses; c++)
            table.AddRow(c.ToString(inv), Markup.Escape(split.ClassNames[c]), train[c].ToString(inv), c < test.Length ? test[c].ToString(inv) : "0");
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>The status line of a download: the file and the bytes received of the total.</summary>
    internal static string Download(DownloadProgress value)
    {
        var total = value.TotalBytes is long t ? $" of {t:N0}" : "";
        return $"downloading {value.FileName}: {value.BytesReceived:N0}{total} bytes";
    }
}
