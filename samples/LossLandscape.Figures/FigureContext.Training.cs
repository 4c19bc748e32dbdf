using System.Globalization;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Runtime;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>A trained model of a figure run, with its training history.</summary>
/// <param name="Model">The model (owned by the caller).</param>
/// <param name="Result">How training ended and its history.</param>
/// <param name="Directory">The run folder (options.json, history, checkpoints, model.safetensors).</param>
public sealed record TrainedModel(nn.Module<Tensor, Tensor> Model, TrainingResult Result, string Directory) : IDisposable
{
    /// <summary>Frees the model.</summary>
    public void Dispose() => Model.Dispose();
}

public sealed partial class FigureContext
{
    /// <summary>The device figures compute on: CUDA when available, else the CPU.</summary>
    public Device Device { get; } = RuntimeSpec.ResolveDevice("auto");

    /// <summary>
    /// Loads a data set through the catalog: <paramref name="quickName"/> for the smoke and quick presets (Fashion-MNIST
    /// by default, the real data set installed by Debian's dataset-fashion-mnist; the embedded UCI digits only when it
    /// is absent), <paramref name="fullName"/> for the full preset (downloaded when missing). Sets
    /// <see cref="DataName"/>.
    /// </summary>
    public DataSplit LoadData(string fullName, string quickName = "fashion-mnist")
    {
        var name = Preset == Preset.Full ? fullName : quickName;
        var options = DataCatalogOptions.FromEnvironment(DataDir) with { FallbackToDigits = Preset != Preset.Full };
        var split = new DataCatalog(options).Load(name);
        DataName = split.Note is not null && split.Source.Contains("embedded", StringComparison.OrdinalIgnoreCase) ? "digits" : name;
        Log($"data: {DataName} ({split.Train.Count} train, {split.Test.Count} test) from {split.Source}");
        if (split.Note is not null) Log($"note: {split.Note}");
        return split;
    }

    /// <summary>
    /// Where a spectrum or density run of the figure keeps its state, <c>OutDir/spectra/NAME</c>, so that an interrupted
    /// figure resumes it and a finished one reads its result back (every preset but smoke; the state is written every
    /// 25 applications). The tag names the problem and the weights (count, sum and sum of squares in float64), so a
    /// state of other weights is refused rather than reused.
    /// </summary>
    public CheckpointOptions? SpectrumCheckpoint(string name, nn.Module model, string problem)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Preset == Preset.Smoke) return null;
        using var scope = NewDisposeScope();
        long count = 0;
        double sum = 0, squares = 0;
        foreach (var p in model.parameters())
        {
            using var d = p.detach().to(ScalarType.Float64, CPU);
            count += d.NumberOfElements;
            sum += d.sum().item<double>();
            squares += d.square().sum().item<double>();
        }
        var options = new CheckpointOptions(PathOf(Path.Combine("spectra", name)), Every: 25,
            Tag: string.Create(CultureInfo.InvariantCulture, $"{problem} | weights {count} {sum:R} {squares:R}"));
        options.EnsureWritable();
        return options;
    }

    /// <summary>
    /// Trains a model into <c>OutDir/runs/NAME</c> with a text progress bar, or resumes the run found there (an
    /// interrupted figure continues where it stopped; a finished one is only reloaded).
    /// </summary>
    public TrainedModel Train(string name, TrainingRun run, TrainingData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        var dir = PathOf(Path.Combine("runs", name));
        run = run with { Device = Device.type == DeviceType.CUDA ? "cuda:0" : "cpu" };
        var model = run.CreateModel(data.Train.ExampleShape, data.Train.NumClasses, Device);
        try
        {
            using var trainer = new Trainer(model, data.Train, data.Test, run.Training, dir, data.Augmentation)
            {
                Metadata = data.Metadata,
                Description = run.Description(),
            };
            if (Trainer.LatestCheckpoint(dir) is not null)
            {
                trainer.Resume();
                Log($"{name}: resuming at step {trainer.Step} of {trainer.TotalSteps}");
            }
            var result = trainer.Run(new TextProgress(name, Log), cancellationToken);
            if (result.Reason != StopReason.Completed)
                throw new LossLandscapeException($"Training '{name}' stopped: {result.Message}");
            return new TrainedModel(model, result, dir);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies the weights of <paramref name="model"/> into a checkpoint under the figure's folder and returns its path.</summary>
    public string SaveModel(string file, nn.Module model)
    {
        var path = PathOf(file);
        Checkpoint.Save(model, path);
        return path;
    }

    private sealed class TextProgress(string name, Action<string> log) : IProgress<TrainingProgress>
    {
        private int _shown = -1;

        public void Report(TrainingProgress value)
        {
            int tenth = value.TotalSteps == 0 ? 10 : (int)(10 * value.Step / value.TotalSteps);
            if (tenth == _shown) return;
            _shown = tenth;
            var bar = new string('#', tenth) + new string('.', 10 - tenth);
            log(string.Create(CultureInfo.InvariantCulture, $"{name} [{bar}] step {value.Step}/{value.TotalSteps} loss {value.BatchLoss:F4}"));
        }
    }
}
