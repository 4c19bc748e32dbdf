using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LossLandscape.Checkpoints;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.IO;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Specs;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary>Options shared by <c>spectrum</c>, <c>density</c> and <c>trace</c>: which model, weights, data, loss and operator.</summary>
public class CurvatureSettings : GlobalSettings, IWritesOutputs
{
    /// <summary>Model spec.</summary>
    [CommandOption("--model <SPEC>")]
    [Description(ProbeHelp.Model)]
    public string? Model { get; init; }

    /// <summary>Checkpoint.</summary>
    [CommandOption("--checkpoint <FILE>")]
    [Description("The model's weights as safetensors (PyTorch state-dict names; converted to --dtype), for example the model.safetensors of a run of llscape train. Required.")]
    public string? Checkpoint { get; init; }

    /// <summary>Old spelling of --checkpoint.</summary>
    [CommandOption("--weights <FILE>", IsHidden = true)]
    [Description("Old spelling of --checkpoint.")]
    public string? WeightsAlias { get; init; }

    /// <summary>The checkpoint: --checkpoint or its old spelling --weights.</summary>
    public string? Weights => OptionAlias.Pick("--checkpoint", Checkpoint, "--weights", WeightsAlias);

    /// <summary>Data.</summary>
    [CommandOption("--data <DATA>")]
    [Description("Data: a data set name (fashion-mnist, mnist, cifar10, digits, synthetic:...) or FILE.safetensors holding 'x' (float inputs) and 'y' (int64 labels). Required.")]
    public string? Data { get; init; }

    /// <summary>Data folder.</summary>
    [CommandOption("--data-dir <DIR>")]
    [Description("Folder to look for data sets in first.")]
    public string? DataDir { get; init; }

    /// <summary>Split.</summary>
    [CommandOption("--split <SPLIT>")]
    [Description("train or test, for named data sets (a safetensors file holds one split). Default: train.")]
    public string? Split { get; init; }

    /// <summary>Subset.</summary>
    [CommandOption("--subset <N>")]
    [Description(ProbeHelp.Subset)]
    public long? Subset { get; init; }

    /// <summary>First examples.</summary>
    [CommandOption("--first <N>")]
    [Description(ProbeHelp.First)]
    public long? First { get; init; }

    /// <summary>Loss.</summary>
    [CommandOption("--loss <LOSS>")]
    [Description("ce, mse or hinge. Default: ce.")]
    [DefaultValue("ce")]
    public string Loss { get; init; } = "ce";

    /// <summary>Operator.</summary>
    [CommandOption("--operator <OP>")]
    [Description("hessian, ggn (Gauss-Newton) or residual (Hessian minus Gauss-Newton). Default: hessian.")]
    [DefaultValue("hessian")]
    public string Operator { get; init; } = "hessian";

    /// <summary>Chunk size.</summary>
    [CommandOption("--chunk-size <N>")]
    [Description(ProbeHelp.ChunkSize)]
    public long? ChunkSize { get; init; }

    /// <summary>Old spelling of --chunk-size.</summary>
    [CommandOption("--batch-size <N>", IsHidden = true)]
    [Description("Old spelling of --chunk-size.")]
    public long? BatchSizeAlias { get; init; }

    /// <summary>Examples per forward/backward pass: --chunk-size (or its old spelling --batch-size), default 1000.</summary>
    public long BatchSize => OptionAlias.Pick("--chunk-size", ChunkSize, "--batch-size", BatchSizeAlias) ?? 1000;

    /// <summary>Parameter selection.</summary>
    [CommandOption("--params <PREFIXES>")]
    [Description("Restrict to parameters whose names start with one of these comma-separated prefixes (for example 0. for the first layer). Default: all.")]
    public string? Params { get; init; }

    /// <summary>BatchNorm mode.</summary>
    [CommandOption("--bn <MODE>")]
    [Description("BatchNorm policy: eval (running statistics; default) or train (batch statistics) for BatchNorm and dropout while measuring.")]
    public string? Bn { get; init; }

    /// <summary>Old spelling of --bn.</summary>
    [CommandOption("--bn-mode <MODE>", IsHidden = true)]
    [Description("Old spelling of --bn.")]
    public string? BnModeAlias { get; init; }

    /// <summary>The BatchNorm mode: --bn or its old spelling --bn-mode, default eval.</summary>
    public string BnMode => OptionAlias.Pick("--bn", Bn, "--bn-mode", BnModeAlias) ?? "eval";

    /// <summary>JSON output.</summary>
    [CommandOption("--json <FILE>")]
    [Description("Write the result as JSON to FILE (atomically).")]
    public string? Json { get; init; }

    /// <inheritdoc />
    public virtual IEnumerable<OutputPath> Outputs => [new("--json", Json)];
}

/// <summary>A curvature operator with the model and data it owns (built from <see cref="CurvatureSettings"/>).</summary>
internal sealed class CurvatureSession : IDisposable
{
    private static DataPart ParsePart(string? split) => (split ?? "train").Trim().ToLowerInvariant() switch
    {
        "train" => DataPart.Train,
        "test" => DataPart.Test,
        _ => throw new LossLandscapeException($"--split '{split}' is not valid: give train or test."),
    };

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Dataset _data;
    private readonly LossFunction _loss;
    private readonly string _operatorName;

    private CurvatureSession(nn.Module<Tensor, Tensor> model, Dataset data, LossFunction loss, string operatorName, CurvatureOperator op)
    {
        _model = model;
        _data = data;
        _loss = loss;
        _operatorName = operatorName;
        Operator = op;
    }

    public CurvatureOperator Operator { get; }

    /// <summary>The data set (all of it; <see cref="Operator"/> may use only its first --subset examples).</summary>
    public Dataset Data => _data;

    /// <summary>The same operator (model, loss, batch size, parameters, BatchNorm mode) over other data, all of it.</summary>
    public CurvatureOperator On(Dataset data) =>
        CurvatureOperators.Create(_operatorName, _model, _loss, data, Operator.Options with { Subset = null });

    /// <summary>What identifies the problem in a checkpoint: model, weights, data, split, loss, operator, batches, parameters, BatchNorm mode.</summary>
    public static string Tag(CurvatureSettings s) => string.Join("|", s.Model, (string.IsNullOrWhiteSpace(s.Weights) ? "" : Path.GetFullPath(s.Weights)), s.Data, s.DataDir, s.Split, s.Loss, s.Operator,
        s.BatchSize.ToString(CultureInfo.InvariantCulture), s.Params, s.BnMode, s.Subset?.ToString(CultureInfo.InvariantCulture));

    /// <summary>Opens the session; <paramref name="wholeData"/> ignores --subset for <see cref="Operator"/> (repeats use it as their size).</summary>
    public static CurvatureSession Open(CurvatureSettings s, bool wholeData = false)
    {
        if (string.IsNullOrWhiteSpace(s.Weights)) throw new LossLandscapeException("--checkpoint FILE.safetensors is required (the model's weights; also accepted as --weights).");
        if (string.IsNullOrWhiteSpace(s.Data)) throw new LossLandscapeException("--data is required: a data set name (fashion-mnist, ...) or FILE.safetensors holding x and y.");
        var source = ModelSource.Open(s.Model, s.Weights, s.Checkpoint is null ? "--weights" : "--checkpoint");
        var loss = LossSpec.Parse(s.Loss);
        var bn = s.BnMode.Trim().ToLowerInvariant() switch
        {
            "eval" => BatchNormMode.Eval,
            "train" => BatchNormMode.Train,
            _ => throw new LossLandscapeException($"--bn '{s.BnMode}' is not valid: use eval or train."),
        };
        var part = ParsePart(s.Split);
        if (s.BatchSize < 1) throw new LossLandscapeException($"--chunk-size {s.BatchSize} is not valid: give at least 1 example per pass.");
        var runtime = s.ToRuntimeOptions().Apply();
        Dataset? data = null;
        nn.Module<Tensor, Tensor>? model = null;
        try
        {
            data = DataArguments.Resolve(s.Data, part, runtime, s.DataDir, wholeData ? null : s.Subset, s.Seed, s.Weights, wholeData ? null : s.First);
            model = source.Build(data, $"--data {s.Data}", runtime, loss);
            var options = new CurvatureOptions(
                BatchSize: s.BatchSize,
                Subset: null,
                BatchNorm: bn,
                Include: string.IsNullOrWhiteSpace(s.Params) ? null : CurvatureOptions.Prefixes(s.Params.Split(',')));
            var op = CurvatureOperators.Create(s.Operator, model, loss, data, options);
            return new CurvatureSession(model, data, loss, s.Operator, op);
        }
        catch
        {
            data?.Dispose();
            model?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _data.Dispose();
        _model.Dispose();
    }
}

/// <summary>JSON output of the curvature commands.</summary>
internal static class SpectrumJson
{
    public static void Write(string? path, object report)
    {
        if (string.IsNullOrWhiteSpace(path)) return;
        ResultFiles.WriteJson(path, report);
    }

    public static string Format(IEnumerable<double> xs) =>
        string.Join(", ", xs.Select(x => x.ToString("G8", CultureInfo.InvariantCulture)));
}

/// <summary>Options of the resumable commands (<c>spectrum</c>, <c>density</c>).</summary>
public class ResumableCurvatureSettings : CurvatureSettings
{
    /// <summary>Checkpoint folder.</summary>
    [CommandOption("--checkpoint-dir <DIR>")]
    [Description("Write the run's state (basis, tridiagonal coefficients, random stream) to DIR every --checkpoint-every steps and on Ctrl-C; run the same command again to resume exactly where it stopped.")]
    public string? CheckpointDir { get; init; }

    /// <summary>Checkpoint interval.</summary>
    [CommandOption("--checkpoint-every <K>")]
    [Description("Operator applications between two state files (with --checkpoint-dir). Default: 10.")]
    [DefaultValue(10)]
    public int CheckpointEvery { get; init; } = 10;

    /// <summary>Reorthogonalization.</summary>
    [CommandOption("--reorth <MODE>")]
    [Description("partial (default: only when the estimated loss of orthogonality needs it), full (every step) or none.")]
    [DefaultValue("partial")]
    public string Reorth { get; init; } = "partial";

    /// <summary>The checkpoint options for the run in sub-folder <paramref name="part"/> (null without --checkpoint-dir).</summary>
    internal Spectra.CheckpointOptions? StateCheckpoint(string part, string tag)
    {
        if (string.IsNullOrWhiteSpace(CheckpointDir)) return null;
        if (CheckpointEvery < 1)
            throw new LossLandscapeException($"--checkpoint-every {CheckpointEvery} is not valid: give at least 1.");
        var c = new Spectra.CheckpointOptions(Path.Combine(CheckpointDir, part), CheckpointEvery, tag);
        c.EnsureWritable();
        return c;
    }

    internal Spectra.Reorthogonalization ReorthMode() => Reorth.Trim().ToLowerInvariant() switch
    {
        "partial" => Spectra.Reorthogonalization.Partial,
        "full" => Spectra.Reorthogonalization.Full,
        "none" => Spectra.Reorthogonalization.None,
        _ => throw new LossLandscapeException($"--reorth '{Reorth}' is not valid: use partial, full or none."),
    };
}

/// <summary>Ctrl-C as a cancellation: the first press cancels the token (the run writes its state and stops); a second one ends the process.</summary>
internal sealed class CtrlC : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private int _presses;

    public CtrlC(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancel;
    }

    public CancellationToken Token => _cts.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref _presses) > 1) return;
        e.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _cts.Dispose();
    }
}
