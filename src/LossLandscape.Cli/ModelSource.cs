using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Runtime;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Cli;

/// <summary>
/// A model as the command line names it: a spec (<c>--model</c>, or what the checkpoint records) and a checkpoint
/// file, read and checked before any data is loaded. <see cref="Build"/> is the one path by which every command turns
/// them and the data into a model: built for the data's input shape and class count, checked against the data and
/// the loss by the library, then loaded with the checkpoint's weights.
/// </summary>
public sealed class ModelSource
{
    private ModelSource(ModelSpec spec, string? checkpoint, string checkpointOption, CheckpointInfo info)
    {
        Spec = spec;
        Checkpoint = checkpoint;
        CheckpointOption = checkpointOption;
        Info = info;
    }

    /// <summary>The model spec.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The checkpoint, or null for a freshly initialized model.</summary>
    public string? Checkpoint { get; }

    /// <summary>The option that named the checkpoint, for messages.</summary>
    public string CheckpointOption { get; }

    /// <summary>What the checkpoint records about its model (all null without a checkpoint or metadata).</summary>
    public CheckpointInfo Info { get; }

    /// <summary>
    /// Reads the checkpoint's metadata and settles the spec: <paramref name="model"/> when given, else the spec the
    /// checkpoint records; both given and different is an error naming both.
    /// </summary>
    /// <param name="model">The --model value, or null.</param>
    /// <param name="checkpoint">The checkpoint path, or null for none.</param>
    /// <param name="checkpointOption">The option that named the checkpoint (for messages).</param>
    /// <param name="checkpointRequired">Whether the command needs a checkpoint.</param>
    /// <exception cref="LossLandscapeException">A missing or unreadable checkpoint, no spec anywhere, a contradiction, a malformed spec.</exception>
    public static ModelSource Open(string? model, string? checkpoint, string checkpointOption, bool checkpointRequired = true)
    {
        if (string.IsNullOrWhiteSpace(checkpoint))
        {
            if (checkpointRequired)
                throw new LossLandscapeException($"{checkpointOption} FILE.safetensors is required (the model's weights, for example the model.safetensors of a run of llscape train).");
            checkpoint = null;
        }
        var info = checkpoint is null ? new CheckpointInfo(null, null, null) : ReadInfo(checkpoint, checkpointOption);
        ModelSpec? recorded = null;
        if (info.Model is not null)
        {
            try { recorded = ModelSpec.Parse(info.Model); }
            catch (LossLandscapeException) { recorded = null; }
        }
        ModelSpec spec;
        if (!string.IsNullOrWhiteSpace(model))
        {
            spec = ModelSpec.Parse(model);
            if (recorded is not null && recorded.Text != spec.Text)
                throw new LossLandscapeException(
                    $"--model {spec.Text} contradicts {checkpointOption} '{checkpoint}', which records the model {recorded.Text}: leave --model out (the checkpoint says it) or give --model {recorded.Text}.");
        }
        else
        {
            spec = recorded ?? throw new LossLandscapeException(checkpoint is null
                ? $"--model is required ({ModelSpec.Syntax})."
                : $"--model is required: {checkpointOption} '{checkpoint}' does not record its model spec (checkpoints written by llscape train do). Give --model SPEC ({ModelSpec.Syntax}).");
        }
        return new ModelSource(spec, checkpoint, checkpointOption, info);
    }

    /// <summary>Checks that the checkpoint <paramref name="path"/> (named by <paramref name="option"/>) exists, is safetensors and records no other model than <see cref="Spec"/>.</summary>
    /// <exception cref="LossLandscapeException">It is missing, unreadable or records another model.</exception>
    public void CheckSameModel(string path, string option)
    {
        var info = ReadInfo(path, option);
        if (info.Model is null) return;
        ModelSpec other;
        try { other = ModelSpec.Parse(info.Model); }
        catch (LossLandscapeException) { return; }
        if (other.Text != Spec.Text)
            throw new LossLandscapeException(
                $"{option} '{path}' records the model {other.Text}, but the model is {Spec.Text} ({(Checkpoint is null ? "--model" : $"{CheckpointOption} '{Checkpoint}'")}): give checkpoints of one architecture.");
    }

    /// <summary>
    /// Builds the model for the examples of <paramref name="data"/> (their shape and class count) in the run's dtype on
    /// its device, checks it against <paramref name="data"/>, <paramref name="test"/> and <paramref name="loss"/>
    /// (<see cref="ModelCompatibility"/>), loads the checkpoint's weights and puts it in eval mode.
    /// </summary>
    /// <param name="data">The (training) data.</param>
    /// <param name="dataArgument">How the data was named (for example <c>--data fashion-mnist</c>), for messages.</param>
    /// <param name="runtime">The run's device and dtype.</param>
    /// <param name="loss">The loss the command evaluates.</param>
    /// <param name="test">Optional test data, checked too.</param>
    /// <param name="testArgument">How the test data was named, for messages.</param>
    /// <exception cref="LossLandscapeException">The model, the data, the loss and the checkpoint do not fit; the message names both sides and the fix.</exception>
    public nn.Module<Tensor, Tensor> Build(Dataset data, string dataArgument, ResolvedRuntime runtime, LossFunction loss, Dataset? test = null, string? testArgument = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(loss);
        var shape = data.ExampleShape;
        string shapeText = CheckpointInfo.FormatShape(shape);
        if (Info.InputShape is { } trained && !trained.SequenceEqual(shape))
            throw new LossLandscapeException(
                $"{CheckpointOption} '{Checkpoint}' holds a model trained on examples of shape {CheckpointInfo.FormatShape(trained)}, but {dataArgument} has examples of shape {shapeText}: give the data the model was trained on (or a checkpoint trained on this data).");
        if (Info.Classes is int k && k != data.NumClasses)
            throw new LossLandscapeException(
                $"{CheckpointOption} '{Checkpoint}' holds a model trained on {k} classes, but {dataArgument} has {data.NumClasses}: give the data the model was trained on (or a checkpoint trained on this data).");
        nn.Module<Tensor, Tensor> model;
        try
        {
            model = Spec.Create(shape, data.NumClasses);
        }
        catch (LossLandscapeException ex)
        {
            throw new LossLandscapeException($"--model {Spec.Text} does not fit {dataArgument} (examples {shapeText}, {data.NumClasses} classes): {ex.Message}", ex);
        }
        try
        {
            model.to(runtime.DType).to(runtime.Device);
            Check(model, data, dataArgument, loss);
            if (test is not null) Check(model, test, testArgument ?? "the test data", loss);
            if (Checkpoint is not null) Checkpoints.Checkpoint.Load(model, Checkpoint);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void Check(nn.Module model, Dataset data, string dataArgument, LossFunction loss)
    {
        try
        {
            ModelCompatibility.Check(model, data, loss);
        }
        catch (ModelDataMismatchException ex)
        {
            var modelSide = Checkpoint is null ? $"--model {Spec.Text}" : $"--model {Spec.Text} ({CheckpointOption} '{Checkpoint}')";
            throw new LossLandscapeException($"{modelSide} and {dataArgument} (loss {loss.Name}) do not fit: {ex.Message}", ex);
        }
    }

    private static CheckpointInfo ReadInfo(string path, string option)
    {
        if (Directory.Exists(path))
            throw new LossLandscapeException($"{option} '{path}' is a folder: give the checkpoint file inside it (for example {Path.Combine(path, "model.safetensors")}).");
        if (!File.Exists(path))
            throw new LossLandscapeException($"{option} '{path}' does not exist: give a checkpoint file (.safetensors), for example the model.safetensors of a run of llscape train.");
        try
        {
            return CheckpointInfo.Read(path);
        }
        catch (CheckpointException ex)
        {
            throw new LossLandscapeException($"{option}: {ex.Message}", ex);
        }
    }
}
