using System.Text.Json;
using System.Text.Json.Nodes;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Runtime;
using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Specs;

/// <summary>
/// A training run as the front ends describe it: the model spec, the data name, the input preprocessing, the dtype
/// and the device, around the library's typed <see cref="TrainingOptions"/>. Its JSON form is the run folder's
/// <c>options.json</c>: the training options' fields plus <c>model</c>, <c>data</c>, <c>preprocessing</c>,
/// <c>augment</c>, <c>dType</c> and <c>device</c>.
/// </summary>
/// <param name="Model">Model spec (<see cref="ModelSpec.Syntax"/>).</param>
/// <param name="Training">The training options.</param>
public sealed record TrainingRun(string Model, TrainingOptions Training)
{
    /// <summary>Data set name or file, as the front end resolves it.</summary>
    public string Data { get; init; } = "";

    /// <summary>Whether the inputs are normalized (and, with <see cref="Augment"/>, shifted and flipped).</summary>
    public bool Preprocessing { get; init; } = true;

    /// <summary>Random shift and flip of training batches when <see cref="Preprocessing"/> is on: <c>auto</c> (on for convolutional models, off for MLPs and mean-field nets), <c>on</c> or <c>off</c>.</summary>
    public string Augment { get; init; } = "auto";

    /// <summary>Floating dtype (<see cref="RuntimeSpec.DTypeSyntax"/>).</summary>
    public string DType { get; init; } = "float32";

    /// <summary>Device spec (<see cref="RuntimeSpec.DeviceSyntax"/>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>This run with its training options changed by <paramref name="change"/> (for example <c>run.With(o => o with { Seed = 2 })</c>).</summary>
    public TrainingRun With(Func<TrainingOptions, TrainingOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return this with { Training = change(Training) };
    }

    /// <summary>Whether training batches are shifted and flipped (resolves <see cref="Augment"/> for the model).</summary>
    public bool Augments => Preprocessing && Augment switch
    {
        "on" => true,
        "off" => false,
        _ => ModelSpec.Parse(Model).IsConvolutional,
    };

    /// <summary>Checks the front-end fields (the model spec, the dtype, the augmentation word); the training options are checked by the trainer.</summary>
    /// <exception cref="LossLandscapeException">The first problem found.</exception>
    public void Validate()
    {
        ModelSpec.Parse(Model);
        RuntimeSpec.ParseDType(DType);
        if (Augment is not ("auto" or "on" or "off"))
            throw new LossLandscapeException($"Augmentation '{Augment}' is not valid: give auto, on or off.");
    }

    /// <summary>
    /// Builds the model for examples of shape <paramref name="inputShape"/> and <paramref name="classes"/> classes,
    /// initialized from Torch's generator seeded with the run's seed, in the run's dtype on <paramref name="device"/>.
    /// </summary>
    public nn.Module<Tensor, Tensor> CreateModel(IReadOnlyList<long> inputShape, int classes, Device device)
    {
        var spec = ModelSpec.Parse(Model);
        var dtype = RuntimeSpec.ParseDType(DType);
        TorchRuntime.Seed(Training.Seed);
        var model = spec.Create(inputShape, classes);
        model.to(dtype).to(device);
        return model;
    }

    /// <summary>Prepares <paramref name="split"/> with this run's preprocessing on <paramref name="device"/> in its dtype.</summary>
    public TrainingData PrepareData(DataSplit split, Device device) =>
        TrainingData.Prepare(split, Preprocessing, Augments, device, RuntimeSpec.ParseDType(DType));

    /// <summary>The fields this record adds to the training options in <c>options.json</c> (give it to <see cref="Trainer.Description"/>).</summary>
    public JsonObject Description() => new()
    {
        ["model"] = Model,
        ["data"] = Data,
        ["preprocessing"] = Preprocessing,
        ["augment"] = Augment,
        ["dType"] = DType,
        ["device"] = Device,
    };

    /// <summary>Reads a run folder's <c>options.json</c>, which the trainer writes from the training options and <see cref="Description"/>.</summary>
    /// <exception cref="LossLandscapeException">The file is missing, not valid JSON, or lacks the model.</exception>
    public static TrainingRun Load(string path)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Options file '{path}' does not exist.");
        var text = File.ReadAllText(path);
        JsonObject node;
        try
        {
            node = JsonNode.Parse(text)?.AsObject() ?? throw new LossLandscapeException($"Options file '{path}' is empty (null).");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new LossLandscapeException($"Options file '{path}' is not valid JSON: {ex.Message}", ex);
        }
        var training = TrainingOptions.FromJson(text, LossSpec.Parse, ScheduleSpec.Parse);
        string? Text(string key) => node[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var model = Text("model") ?? throw new LossLandscapeException($"Options file '{path}' does not name the model ('model').");
        return new TrainingRun(model, training)
        {
            Data = Text("data") ?? "",
            Preprocessing = node["preprocessing"] is JsonValue p && p.TryGetValue<bool>(out var b) ? b : true,
            Augment = Text("augment") ?? "auto",
            DType = Text("dType") ?? "float32",
            Device = Text("device") ?? "cpu",
        };
    }
}
