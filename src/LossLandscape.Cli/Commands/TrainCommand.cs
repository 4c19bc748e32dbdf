using System.ComponentModel;
using System.Globalization;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Runtime;
using LossLandscape.Specs;
using LossLandscape.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary>
/// <c>llscape train</c>: trains a model and writes checkpoints (safetensors), the history (CSV and JSON) and the run
/// description (<c>options.json</c>) into <c>--out</c>. Ctrl-C writes a checkpoint and exits; <c>--resume</c>
/// continues from it.
/// </summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    /// <summary>Options of <c>llscape train</c>; unset options keep their defaults (or, with --resume, the run's values).</summary>
    public sealed class Settings : GlobalSettings, IWritesOutputs
    {
        /// <summary>Model spec.</summary>
        [CommandOption("--model <SPEC>")]
        [Description("Model spec: mlp:784-500-300-10, mlp:784-5-10:tanh, resnet20|32|44|56|110, resnet56-noshort, alexnet-c1, alexnet-bare, meanfield:40x800.")]
        public string? Model { get; init; }

        /// <summary>Data folder.</summary>
        [CommandOption("--data-dir <DIR>")]
        [Description("Folder to look for data sets in first.")]
        public string? DataDir { get; init; }

        /// <summary>Data set.</summary>
        [CommandOption("--data <NAME>")]
        [PlainDescription("Training data: fashion-mnist, mnist, cifar10, cifar100, digits, synthetic:KIND[:key=value,...] or FILE.safetensors (tensors x [P, ...] float and y [P] int64; optional x_test, y_test).")]
        public string? Data { get; init; }

        /// <summary>Loss.</summary>
        [CommandOption("--loss <LOSS>")]
        [Description("ce (default), mse or hinge.")]
        public string? Loss { get; init; }

        /// <summary>Batch size.</summary>
        [CommandOption("--batch-size <B>")]
        [Description("Mini-batch size. Default: 128.")]
        public int? BatchSize { get; init; }

        /// <summary>Full batch.</summary>
        [CommandOption("--full-batch")]
        [Description("Full-batch gradient descent: every training example in every step (gradient accumulated over --chunk-size chunks).")]
        public bool? FullBatch { get; init; }

        /// <summary>Learning rate.</summary>
        [CommandOption("--lr <LR>")]
        [Description("Base learning rate. Default: 0.1.")]
        public double? LearningRate { get; init; }

        /// <summary>Momentum.</summary>
        [CommandOption("--momentum <MU>")]
        [Description("Momentum (PyTorch SGD semantics). Default: 0.")]
        public double? Momentum { get; init; }

        /// <summary>Dampening.</summary>
        [CommandOption("--dampening <TAU>")]
        [Description("Momentum dampening. Default: 0.")]
        public double? Dampening { get; init; }

        /// <summary>Nesterov.</summary>
        [CommandOption("--nesterov")]
        [Description("Nesterov momentum (needs --momentum > 0).")]
        public bool? Nesterov { get; init; }

        /// <summary>Weight decay.</summary>
        [CommandOption("--weight-decay <LAMBDA>")]
        [Description("L2 weight decay added to the gradient. Default: 0.")]
        public double? WeightDecay { get; init; }

        /// <summary>No preprocessing.</summary>
        [CommandOption("--no-preprocessing")]
        [Description("Turn the data preprocessing off: no normalization, shift or flip.")]
        public bool? NoPreprocessing { get; init; }

        /// <summary>Augmentation.</summary>
        [CommandOption("--augment <MODE>")]
        [Description("Random shift (pad 4) and flip of training images: auto (default: on for convolutional models, off for MLPs and mean-field nets), on or off.")]
        public string? Augment { get; init; }

        /// <summary>Schedule.</summary>
        [CommandOption("--schedule <SCHEDULE>")]
        [PlainDescription("constant (default), step:M1,M2:GAMMA, cosine[:MIN], linear[:MIN], warmup:W+SCHEDULE.")]
        public string? Schedule { get; init; }

        /// <summary>Steps.</summary>
        [CommandOption("--steps <N>")]
        [Description("Number of updates (or give --epochs).")]
        public long? Steps { get; init; }

        /// <summary>Epochs.</summary>
        [CommandOption("--epochs <E>")]
        [Description("Number of epochs (or give --steps).")]
        public int? Epochs { get; init; }

        /// <summary>Evaluation interval.</summary>
        [CommandOption("--eval-every <K>")]
        [Description("Evaluate train and test loss and accuracy every K updates (0: at the start and the end only). Default: 0.")]
        public long? EvalEvery { get; init; }

        /// <summary>Evaluation subset.</summary>
        [CommandOption("--eval-subset <N>")]
        [Description("Evaluate on a fixed random subset of N examples of each set instead of the full sets.")]
        public long? EvalSubset { get; init; }

        /// <summary>Checkpoint interval.</summary>
        [CommandOption("--checkpoint-every <K>")]
        [Description("Write a checkpoint every K updates (0: at the end only). Default: 0.")]
        public long? CheckpointEvery { get; init; }

        /// <summary>Chunk size.</summary>
        [CommandOption("--chunk-size <N>")]
        [Description("Examples per chunk for full-batch gradients and evaluation. Default: 1000.")]
        public int? ChunkSize { get; init; }

        /// <summary>Switch step.</summary>
        [CommandOption("--switch-batch-size-at <STEP>")]
        [Description("Update index from which --second-batch-size is used (two-phase training).")]
        public long? SwitchBatchSizeAt { get; init; }

        /// <summary>Second batch size.</summary>
        [CommandOption("--second-batch-size <B>")]
        [Description("Batch size after --switch-batch-size-at.")]
        public int? SecondBatchSize { get; init; }

        /// <summary>Noise scale.</summary>
        [CommandOption("--noise-scale <SIGMA>")]
        [Description("Standard deviation of isotropic Gaussian noise added to the gradient each step. Default: 0.")]
        public double? NoiseScale { get; init; }

        /// <summary>Resume.</summary>
        [CommandOption("--resume")]
        [Description("Continue the run in --out from its latest checkpoint, with the options in its options.json (--steps/--epochs may extend it).")]
        public bool Resume { get; init; }

        /// <summary>Output folder.</summary>
        [CommandOption("--out <DIR>")]
        [Description("Run folder for options.json, checkpoints/, history.csv, history.json and model.safetensors.")]
        public string? Out { get; init; }

        /// <inheritdoc />
        public IEnumerable<OutputPath> Outputs => [new("--out", Out, IsFolder: true)];
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out))
            throw new LossLandscapeException("Give the run folder with --out DIR.");
        var run = BuildOptions(settings);
        var runtime = new RuntimeOptions(run.Device, run.Training.Seed, run.Training.Threads, run.DType, RetainHostMemory: !settings.ReleaseHostMemory).Apply();
        using var data = ResolveData(run, runtime.Device, settings.DataDir);
        int classes = data.Train.NumClasses;
        using var model = run.CreateModel(data.Train.ExampleShape, classes, runtime.Device);
        var metadata = new Dictionary<string, string>(data.Metadata);
        foreach (var (k, v) in new CheckpointInfo(run.Model, data.Train.ExampleShape, classes).ToMetadata()) metadata[k] = v;
        using var trainer = new Trainer(model, data.Train, data.Test, run.Training, settings.Out, data.Augmentation) { Metadata = metadata, Description = run.Description() };
        if (settings.Resume) trainer.Resume();

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        TrainingResult result;
        try
        {
            AnsiConsole.MarkupLine($"training [bold]{Markup.Escape(run.Model)}[/] on [bold]{Markup.Escape(data.Train.Name)}[/] ({data.Train.Count} examples), {trainer.TotalSteps} steps from step {trainer.Step}, on {runtime.Device.type.ToString().ToLowerInvariant()} ({RuntimeSpec.DTypeName(runtime.DType)})");
            using var status = new StatusLine();
            result = trainer.Run(status.For<TrainingProgress>(Status), cts.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        var last = result.History.LastOrDefault(r => r.TrainLoss is not null);
        if (last is not null)
        {
            var table = new Table().AddColumn("step").AddColumn("epoch").AddColumn("train loss").AddColumn("train acc").AddColumn("test loss").AddColumn("test acc").AddColumn("seconds");
            table.AddRow(last.Step.ToString(CultureInfo.InvariantCulture), F(last.Epoch, "F2"), F(last.TrainLoss, "F4"), F(last.TrainAccuracy, "P2"),
                F(last.TestLoss, "F4"), F(last.TestAccuracy, "P2"), F(last.Seconds, "F1"));
            AnsiConsole.Write(table);
        }
        if (result.Reason == StopReason.Completed)
        {
            AnsiConsole.WriteLine(LibraryTerms.Translate(result.Message));
            return Program.Ok;
        }
        Program.Error.MarkupLine($"[red]{(result.Reason == StopReason.Cancelled ? "cancelled" : "diverged")}:[/] {Markup.Escape(LibraryTerms.Translate(result.Message))}");
        return Program.Failure;
    }

    /// <summary>
    /// The options of the run: with --resume those in <c>options.json</c> of --out, otherwise the defaults, with every
    /// option given on the command line on top.
    /// </summary>
    /// <exception cref="LossLandscapeException">A missing --model/--data, a folder that holds a run without --resume, or none with it.</exception>
    public static TrainingRun BuildOptions(Settings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var dir = settings.Out!;
        var optionsPath = Path.Combine(dir, "options.json");
        TrainingRun run;
        if (settings.Resume)
        {
            if (!File.Exists(optionsPath))
                throw new LossLandscapeException($"--resume needs a run folder; '{optionsPath}' does not exist.");
            run = TrainingRun.Load(optionsPath);
            if (settings.Device != "auto") run = run with { Device = settings.Device };
            if (settings.Threads is int t) run = run.With(o => o with { Threads = t });
        }
        else
        {
            if (Trainer.LatestCheckpoint(dir) is not null || File.Exists(optionsPath))
                throw new LossLandscapeException($"'{dir}' already holds a run; continue it with --resume or choose another --out folder.");
            if (string.IsNullOrWhiteSpace(settings.Model)) throw new LossLandscapeException("Give the model with --model SPEC (for example --model mlp:784-500-300-10).");
            if (string.IsNullOrWhiteSpace(settings.Data)) throw new LossLandscapeException("Give the training data with --data NAME.");
            var device = RuntimeSpec.ResolveDevice(settings.Device);
            run = new TrainingRun(settings.Model, new TrainingOptions { Seed = settings.Seed, Threads = settings.Threads })
            {
                DType = RuntimeSpec.DTypeName(RuntimeSpec.ParseDType(settings.DType)),
                Device = device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, device.index)}" : "cpu",
            };
        }
        var o = run.Training;
        if (settings.Steps is not null || settings.Epochs is not null)
            o = o with { Steps = settings.Steps, Epochs = settings.Epochs };
        run = run with
        {
            Model = settings.Model ?? run.Model,
            Data = settings.Data ?? run.Data,
            Preprocessing = settings.NoPreprocessing is true ? false : run.Preprocessing,
            Augment = settings.Augment?.Trim().ToLowerInvariant() ?? run.Augment,
        };
        run.Validate();
        return run with { Training = o with
        {
            Loss = settings.Loss is null ? o.Loss : LossSpec.Parse(settings.Loss),
            BatchSize = settings.BatchSize ?? o.BatchSize,
            FullBatch = settings.FullBatch ?? o.FullBatch,
            LearningRate = settings.LearningRate ?? o.LearningRate,
            Momentum = settings.Momentum ?? o.Momentum,
            Dampening = settings.Dampening ?? o.Dampening,
            Nesterov = settings.Nesterov ?? o.Nesterov,
            WeightDecay = settings.WeightDecay ?? o.WeightDecay,
            Schedule = settings.Schedule is null ? o.Schedule : ScheduleSpec.Parse(settings.Schedule),
            EvalEvery = settings.EvalEvery ?? o.EvalEvery,
            EvalSubset = settings.EvalSubset ?? o.EvalSubset,
            CheckpointEvery = settings.CheckpointEvery ?? o.CheckpointEvery,
            ChunkSize = settings.ChunkSize ?? o.ChunkSize,
            SwitchBatchSizeAt = settings.SwitchBatchSizeAt ?? o.SwitchBatchSizeAt,
            SecondBatchSize = settings.SecondBatchSize ?? o.SecondBatchSize,
            NoiseScale = settings.NoiseScale ?? o.NoiseScale,
        } };
    }

    /// <summary>
    /// Resolves the data set the run names (a catalog name such as <c>fashion-mnist</c>,
    /// <c>synthetic:...</c> or <c>FILE.safetensors</c> with <c>x</c>, <c>y</c> and optionally <c>x_test</c>,
    /// <c>y_test</c>) through the <see cref="DataCatalog"/>, and prepares it for training with the run's preprocessing
    /// (<see cref="TrainingRun.PrepareData"/>). This is the one place where the train command interprets data names.
    /// </summary>
    /// <exception cref="LossLandscapeException">An unknown name, a missing or malformed file.</exception>
    public static TrainingData ResolveData(TrainingRun run, Device device, string? dataDir = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var split = new DataCatalog(DataArguments.CatalogOptions(dataDir)).Load(run.Data);
        if (split.Note is not null) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(LibraryTerms.Translate(split.Note))}");
        return run.PrepareData(split, device);
    }

    private static string F(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "";

    /// <summary>The status line of a training step: step of total, batch loss, learning rate and the last test accuracy.</summary>
    internal static string Status(TrainingProgress value)
    {
        long totalSteps = value.TotalSteps;
        var inv = CultureInfo.InvariantCulture;
        var eval = value.Evaluation is { TestAccuracy: double acc } ? $", test acc {acc.ToString("P1", inv)}" : "";
        double done = totalSteps > 0 ? (double)value.Step / totalSteps : 1;
        return $"training: step {value.Step} of {totalSteps} ({done.ToString("P0", inv)}), loss {value.BatchLoss.ToString("F4", inv)}, lr {value.LearningRate.ToString("G3", inv)}{eval}";
    }
}
