using System.ComponentModel;
using LossLandscape.IO;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Runtime;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary>Options shared by the landscape commands (interpolate, surface, connect, sharpness, trajectory).</summary>
public class ProbeSettings : GlobalSettings, IWritesOutputs
{
    /// <summary>Model spec.</summary>
    [CommandOption("--model <SPEC>")]
    [Description(ProbeHelp.Model)]
    public string? Model { get; init; }

    /// <summary>Training data.</summary>
    [CommandOption("--data <DATA>")]
    [Description("Training data: a data set name (fashion-mnist, mnist, cifar10, digits, synthetic:...) or FILE.safetensors with tensors x (float) and y (int64).")]
    public string Data { get; init; } = "";

    /// <summary>Data folder.</summary>
    [CommandOption("--data-dir <DIR>")]
    [Description("Folder to look for data sets in first.")]
    public string? DataDir { get; init; }

    /// <summary>Subset size.</summary>
    [CommandOption("--subset <N>")]
    [Description(ProbeHelp.Subset)]
    public long? Subset { get; init; }

    /// <summary>First examples.</summary>
    [CommandOption("--first <N>")]
    [Description(ProbeHelp.First)]
    public long? First { get; init; }

    /// <summary>Test data.</summary>
    [CommandOption("--test-data <DATA>")]
    [Description("Optional test data, measured beside the training data: a name (its test split) or a file.")]
    public string? TestData { get; init; }

    /// <summary>Loss.</summary>
    [CommandOption("--loss <LOSS>")]
    [Description("ce (default), mse or hinge.")]
    [DefaultValue("ce")]
    public string Loss { get; init; } = "ce";

    /// <summary>BatchNorm policy.</summary>
    [CommandOption("--bn <POLICY>")]
    [Description("BatchNorm policy: eval, interpolate (line scans between two models) or recompute. Default: recompute for models with BatchNorm, else eval.")]
    public string? BatchNorm { get; init; }

    /// <summary>Recompute batches.</summary>
    [CommandOption("--bn-batches <N>")]
    [Description("Training batches the BatchNorm recomputation averages over. Default: 8.")]
    [DefaultValue(8)]
    public int BatchNormBatches { get; init; } = 8;

    /// <summary>Recompute batch size.</summary>
    [CommandOption("--bn-batch-size <N>")]
    [Description("Batch size of the BatchNorm recomputation. Default: 128.")]
    [DefaultValue(128L)]
    public long BatchNormBatchSize { get; init; } = 128;

    /// <summary>Chunk size.</summary>
    [CommandOption("--chunk-size <N>")]
    [Description(ProbeHelp.ChunkSize)]
    public long? ChunkSize { get; init; }

    /// <summary>Old spelling of --chunk-size.</summary>
    [CommandOption("--chunk <N>", IsHidden = true)]
    [Description("Old spelling of --chunk-size.")]
    public long? ChunkAlias { get; init; }

    /// <summary>Examples per forward pass: --chunk-size (or its old spelling --chunk), default 1000.</summary>
    public long Chunk => OptionAlias.Pick("--chunk-size", ChunkSize, "--chunk", ChunkAlias) ?? 1000;

    /// <summary>JSON output.</summary>
    [CommandOption("--json <FILE>")]
    [Description("Write the result as JSON.")]
    public string? Json { get; init; }

    /// <summary>CSV output.</summary>
    [CommandOption("--csv <FILE>")]
    [Description("Write the result as CSV.")]
    public string? Csv { get; init; }

    /// <summary>Plot output.</summary>
    [CommandOption("--plot <FILE>")]
    [Description("Write a plot (.png or .svg).")]
    public string? Plot { get; init; }

    /// <inheritdoc />
    public virtual IEnumerable<OutputPath> Outputs =>
    [
        new("--json", Json), new("--csv", Csv), new("--plot", Plot, false, ".png", ".svg"),
    ];

    /// <summary>
    /// The checkpoint whose recorded input normalization (if any) is applied to the data; each command names its
    /// primary checkpoint.
    /// </summary>
    public virtual string? NormalizationSource => null;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Data)) return ValidationResult.Error("--data is required (a data set name such as fashion-mnist, or FILE.safetensors with tensors x and y).");
        return base.Validate();
    }

    /// <summary>The probe options these settings describe.</summary>
    public ProbeOptions ToProbeOptions() => new()
    {
        Loss = LossSpec.Parse(Loss),
        ChunkSize = Chunk,
        BatchNorm = BatchNormSpec.Parse(BatchNorm),
        RecomputeBatches = BatchNormBatches,
        RecomputeBatchSize = BatchNormBatchSize,
    };
}

/// <summary>Options of the landscape commands that take two models, <c>--from</c> and <c>--to</c> (interpolate, connect).</summary>
public class TwoModelSettings : ProbeSettings
{
    /// <summary>First model.</summary>
    [CommandOption("--from <FILE>")]
    [Description("Checkpoint of the first model (theta_A, a = 0; the first minimum).")]
    public string From { get; init; } = "";

    /// <summary>Second model.</summary>
    [CommandOption("--to <FILE>")]
    [Description("Checkpoint of the second model (theta_B, a = 1; the second minimum).")]
    public string To { get; init; } = "";

    /// <inheritdoc />
    public override string? NormalizationSource => From;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(From) || string.IsNullOrWhiteSpace(To)) return ValidationResult.Error("--from and --to are required (two checkpoints).");
        return base.Validate();
    }
}

/// <summary>Loading models and data for the landscape commands; the one place where a data argument is resolved.</summary>
public static class ProbeCommandSupport
{
    /// <summary>
    /// Resolves a data argument (catalog name, <c>synthetic:...</c> or <c>FILE.safetensors</c>) to a data set on the
    /// run's device and dtype, through <see cref="DataArguments"/>.
    /// </summary>
    /// <exception cref="LossLandscapeException">The argument is not a known data set or a readable file.</exception>
    public static Dataset ResolveData(string spec, ResolvedRuntime runtime, ProbeSettings settings, DataPart part = DataPart.Train) =>
        DataArguments.Resolve(spec, part, runtime, settings.DataDir, settings.Subset, settings.Seed, settings.NormalizationSource, settings.First);

    /// <summary>
    /// The data (and optional test data) of a landscape command and its model, through the one path
    /// (<see cref="ModelSource.Build"/>): the model is built for the data's shape and classes, checked against both
    /// data sets and the loss, and holds the weights of <paramref name="source"/>'s checkpoint.
    /// </summary>
    public static (Dataset Train, Dataset? Test, nn.Module<Tensor, Tensor> Model) Open(ModelSource source, ProbeSettings settings, ResolvedRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(settings);
        var loss = LossSpec.Parse(settings.Loss);
        var train = ResolveData(settings.Data, runtime, settings);
        Dataset? test = null;
        try
        {
            test = settings.TestData is null ? null : ResolveData(settings.TestData, runtime, settings, DataPart.Test);
            var model = source.Build(train, $"--data {settings.Data}", runtime, loss, test, $"--test-data {settings.TestData}");
            return (train, test, model);
        }
        catch
        {
            test?.Dispose();
            train.Dispose();
            throw;
        }
    }

    /// <summary>Loads a checkpoint into <paramref name="model"/>, turning checkpoint errors into usage errors.</summary>
    public static void LoadInto(nn.Module model, string path)
    {
        try
        {
            Checkpoint.Load(model, path);
        }
        catch (CheckpointException ex)
        {
            throw new LossLandscapeException(ex.Message);
        }
    }

    /// <summary>The flat parameter vector and buffers stored in <paramref name="path"/> (loaded through <paramref name="model"/>, which is put back).</summary>
    public static ModelPoint PointOf(nn.Module model, ParameterSpace space, string path)
    {
        using var keep = space.Preserve();
        LoadInto(model, path);
        return ModelPoint.Capture(space);
    }

    /// <summary>Writes what was asked for and prints where it went.</summary>
    public static void WriteOutputs(ProbeSettings settings, object json, Func<string>? csv, Action<string>? plot)
    {
        if (settings.Json is not null)
        {
            ResultFiles.WriteJson(settings.Json, json);
            AnsiConsole.MarkupLine($"json: {Markup.Escape(settings.Json)}");
        }
        if (settings.Csv is not null && csv is not null)
        {
            LandscapeFiles.WriteCsv(settings.Csv, csv());
            AnsiConsole.MarkupLine($"csv: {Markup.Escape(settings.Csv)}");
        }
        if (settings.Plot is not null && plot is not null)
        {
            plot(settings.Plot);
            AnsiConsole.MarkupLine($"plot: {Markup.Escape(settings.Plot)}");
        }
    }

    /// <summary>A number for the console.</summary>
    public static string F(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An optional number for the console.</summary>
    public static string F(double? v) => v is double d ? F(d) : "";

    /// <summary>A Torch generator seeded from the run's seed.</summary>
    public static Generator Generator(GlobalSettings settings, ResolvedRuntime runtime) => new((ulong)settings.Seed, device: runtime.Device);
}

/// <summary>Option descriptions shared by the landscape and curvature commands (one wording per concept).</summary>
internal static class ProbeHelp
{
    public const string Model = "Model spec, for example mlp:784-500-300-10 or resnet20 (built for the data's input shape and class count). May be left out when the checkpoint records it (llscape train writes it into every checkpoint).";
    public const string Subset = "Use a seeded (--seed) class-balanced sample of N examples of each data set (N/k per class; the first N when N is below the class count). Default: all. For the first N examples use --first.";
    public const string First = "Use the first N examples of each data set, in file order (instead of --subset's class-balanced sample).";
    public const string ChunkSize = "Examples per forward pass (sets the memory, not the result). Default: 1000.";
}
