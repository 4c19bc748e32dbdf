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
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary>Options shared by <c>spectrum</c>, <c>density</c> and <c>trace</c>: which model, weights, data, loss and operator.</summary>
public class CurvatureSettings : GlobalSettings
{
    /// <summary>Model spec.</summary>
    [CommandOption("--model <SPEC>")]
    [Description("Model spec, for example mlp:784-500-300-10. Required.")]
    public string? Model { get; init; }

    /// <summary>Weights.</summary>
    [CommandOption("--weights <FILE>")]
    [Description("Model weights as safetensors (PyTorch state-dict names; converted to --dtype). Required.")]
    public string? Weights { get; init; }

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
    [Description("Use only the first N examples. Default: all.")]
    public long? Subset { get; init; }

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

    /// <summary>Batch size.</summary>
    [CommandOption("--batch-size <B>")]
    [Description("Examples per forward/backward pass (sets the memory, not the result). Default: 1000.")]
    [DefaultValue(1000L)]
    public long BatchSize { get; init; } = 1000;

    /// <summary>Parameter selection.</summary>
    [CommandOption("--params <PREFIXES>")]
    [Description("Restrict to parameters whose names start with one of these comma-separated prefixes (for example 0. for the first layer). Default: all.")]
    public string? Params { get; init; }

    /// <summary>BatchNorm mode.</summary>
    [CommandOption("--bn-mode <MODE>")]
    [Description("eval (running statistics; default) or train (batch statistics) for BatchNorm and dropout while measuring.")]
    [DefaultValue("eval")]
    public string BnMode { get; init; } = "eval";

    /// <summary>JSON output.</summary>
    [CommandOption("--json <FILE>")]
    [Description("Write the result as JSON to FILE (atomically).")]
    public string? Json { get; init; }
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

    private CurvatureSession(nn.Module<Tensor, Tensor> model, Dataset data, CurvatureOperator op)
    {
        _model = model;
        _data = data;
        Operator = op;
    }

    public CurvatureOperator Operator { get; }

    public static CurvatureSession Open(CurvatureSettings s)
    {
        if (string.IsNullOrWhiteSpace(s.Model)) throw new LossLandscapeException($"--model is required ({ModelSpec.Syntax}).");
        if (string.IsNullOrWhiteSpace(s.Weights)) throw new LossLandscapeException("--weights FILE.safetensors is required.");
        if (string.IsNullOrWhiteSpace(s.Data)) throw new LossLandscapeException("--data is required: a data set name (fashion-mnist, ...) or FILE.safetensors holding x and y.");
        var spec = ModelSpec.Parse(s.Model);
        var loss = LossFunction.Parse(s.Loss);
        var bn = s.BnMode.Trim().ToLowerInvariant() switch
        {
            "eval" => BatchNormMode.Eval,
            "train" => BatchNormMode.Train,
            _ => throw new LossLandscapeException($"--bn-mode '{s.BnMode}' is not valid: use eval or train."),
        };
        var runtime = s.ToRuntimeOptions().Apply();
        var model = spec.Create();
        Dataset? data = null;
        try
        {
            model.to(runtime.DType).to(runtime.Device);
            Checkpoint.Load(model, s.Weights);
            data = DataArguments.Resolve(s.Data, ParsePart(s.Split), runtime, s.DataDir, weights: s.Weights);
            var options = new CurvatureOptions(
                BatchSize: s.BatchSize,
                Subset: s.Subset,
                BatchNorm: bn,
                Include: string.IsNullOrWhiteSpace(s.Params) ? null : CurvatureOptions.Prefixes(s.Params.Split(',')));
            var op = CurvatureOperators.Create(s.Operator, model, loss, data, options);
            return new CurvatureSession(model, data, op);
        }
        catch
        {
            data?.Dispose();
            model.Dispose();
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
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string? path, object report)
    {
        if (string.IsNullOrWhiteSpace(path)) return;
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(report, report.GetType(), Options));
    }

    public static string Format(IEnumerable<double> xs) =>
        string.Join(", ", xs.Select(x => x.ToString("G8", CultureInfo.InvariantCulture)));
}
