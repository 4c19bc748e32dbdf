using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.IO;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Training;

/// <summary>
/// Trains a model with SGD (momentum, Nesterov, dampening, weight decay), full-batch gradient descent or gradient
/// descent with isotropic Gaussian noise, as described by a <see cref="TrainingOptions"/>; keeps a history, writes
/// checkpoints into a run folder and resumes from them.
/// </summary>
/// <remarks>
/// One update t: lr_t = lr_0 * schedule(t, T); the gradient g of the mean loss on the batch (the whole training set
/// for full-batch steps, accumulated over chunks as sum_c (n_c / P) grad L_c); g += sigma xi with xi ~ N(0, I) when
/// <see cref="TrainingOptions.NoiseScale"/> = sigma > 0; then the <see cref="SgdOptimizer"/> update. Randomness is
/// derived from (seed, epoch) for the batch order and (seed, step) for the augmentation and the noise
/// (<see cref="SeedStreams"/>), each through a generator of its own (Torch's global generator is never reseeded), so a
/// resumed run repeats an uninterrupted one bit for bit on the CPU.
/// Run folder layout: <c>options.json</c>; <c>checkpoints/step-NNNNNNNN/</c> with <c>model.safetensors</c> (the
/// model's state dict, loadable by <see cref="Checkpoint.Load"/>), <c>optimizer.safetensors</c> (momentum buffers by
/// parameter name) and <c>state.json</c> (step, epoch, position in the epoch, options, history so far);
/// <c>checkpoints/latest.json</c> names the newest complete checkpoint (written last, so a crash leaves the previous
/// one valid); <c>history.csv</c>, <c>history.json</c> and the final <c>model.safetensors</c> at the top.
/// </remarks>
public sealed class Trainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly BatchSource _train;
    private readonly BatchSource? _test;
    private readonly BatchSource _evalTrain;
    private readonly BatchSource? _evalTest;
    private readonly List<Tensor> _owned = new();
    private readonly LossFunction _loss;
    private readonly LearningRateSchedule _schedule;
    private readonly SgdOptimizer _sgd;
    private readonly BatchPlan _plan;
    private readonly List<TrainingRecord> _history = new();
    private readonly BatchAugmentation? _augmentation;
    private readonly Parameter[] _parameters;
    private double _seconds;
    private string? _lastCheckpoint;

    /// <summary>
    /// Prepares training of <paramref name="model"/> (its dtype and device must match the data) on the data set
    /// <paramref name="train"/>, evaluating also on <paramref name="test"/> when given; the data sets stay the caller's
    /// and are read in chunks of <see cref="TrainingOptions.ChunkSize"/>.
    /// </summary>
    /// <param name="model">The model, already initialized, in the data's dtype and on its device.</param>
    /// <param name="train">The training set.</param>
    /// <param name="test">The test set, or null.</param>
    /// <param name="options">The run description; validated here.</param>
    /// <param name="runDirectory">Folder for options, checkpoints and history, or null to write nothing.</param>
    /// <param name="augmentation">Random transformation of training batches (not of evaluation), or null; it draws from a generator seeded from (seed, step).</param>
    /// <exception cref="LossLandscapeException">Invalid options, or model and data do not fit (see <see cref="ModelCompatibility"/>).</exception>
    public Trainer(nn.Module<Tensor, Tensor> model, Dataset train, Dataset? test, TrainingOptions options, string? runDirectory = null, BatchAugmentation? augmentation = null)
        : this(model, Source(model, train, options), test is null ? null : Source(model, test, options), options, runDirectory, augmentation)
    {
    }

    /// <summary>
    /// Prepares training of <paramref name="model"/> on any indexable batch source <paramref name="train"/> (tensors the
    /// caller keeps, <see cref="BatchSource.FromTensors"/>, with class labels or regression targets), evaluating also on
    /// <paramref name="test"/> when given. Mini-batches are drawn by a <see cref="BatchPlan.Shuffled"/> plan; full-batch
    /// steps and evaluations read the sources' own batches.
    /// </summary>
    /// <param name="model">The model, already initialized, in the data's dtype and on its device.</param>
    /// <param name="train">The training data (indexable when any step uses a mini-batch).</param>
    /// <param name="test">The test data, or null.</param>
    /// <param name="options">The run description; validated here.</param>
    /// <param name="runDirectory">Folder for options, checkpoints and history, or null to write nothing.</param>
    /// <param name="augmentation">Random transformation of training batches (not of evaluation), or null; it draws from a generator seeded from (seed, step).</param>
    /// <exception cref="LossLandscapeException">Invalid options, mini-batches from a source that cannot be indexed, or model and data that do not fit.</exception>
    public Trainer(nn.Module<Tensor, Tensor> model, BatchSource train, BatchSource? test, TrainingOptions options, string? runDirectory = null, BatchAugmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(train.Count);
        _parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        if (_parameters.Length == 0) throw new LossLandscapeException("The model has no trainable parameters.");
        foreach (var d in test is null ? new[] { train } : new[] { train, test }) ModelCompatibility.Check(model, d, options.Loss);
        if (!train.IsIndexable && (!options.FullBatch || options.SecondBatchSize is not null))
            throw new LossLandscapeException($"Data '{train.Name}' is a sequence of batches, from which mini-batches cannot be drawn by index; give the examples as tensors (BatchSource.FromTensors) or train full-batch.");
        _model = model;
        _train = train;
        _test = test;
        Options = options;
        RunDirectory = runDirectory;
        _augmentation = augmentation;
        _loss = options.Loss;
        _schedule = options.Schedule;
        _plan = BatchPlan.Shuffled(options.Seed);
        _sgd = new SgdOptimizer(model, options.Momentum, options.Dampening, options.Nesterov, options.WeightDecay);
        TotalSteps = options.TotalSteps(train.Count);
        _evalTrain = Subset(train, options, 0);
        if (test is not null) _evalTest = Subset(test, options, 1);
    }

    /// <summary>The run description.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The run folder, or null.</summary>
    public string? RunDirectory { get; }

    /// <summary>Updates done so far.</summary>
    public long Step { get; private set; }

    /// <summary>Updates planned, T.</summary>
    public long TotalSteps { get; }

    /// <summary>The history so far.</summary>
    public IReadOnlyList<TrainingRecord> History => _history;

    /// <summary>The optimizer (momentum buffers).</summary>
    public SgdOptimizer Optimizer => _sgd;

    /// <summary>
    /// Loads the newest checkpoint of <see cref="RunDirectory"/> (model, momentum buffers, step, batch position,
    /// history), so that <see cref="Run"/> continues where it stopped. The checkpoint's options must equal
    /// <see cref="Options"/> except for the number of steps or epochs (a run may be extended), the device and the
    /// thread count (bit-identical continuation holds on the same device and thread count).
    /// </summary>
    /// <exception cref="LossLandscapeException">No run folder or checkpoint, a damaged checkpoint, or different options.</exception>
    public void Resume()
    {
        if (RunDirectory is null) throw new LossLandscapeException("Resuming needs the run folder (the Trainer's runDirectory).");
        var dir = LatestCheckpoint(RunDirectory)
            ?? throw new LossLandscapeException($"Run folder '{RunDirectory}' has no checkpoint to resume from (checkpoints/latest.json is missing).");
        var statePath = Path.Combine(dir, "state.json");
        if (!File.Exists(statePath)) throw new LossLandscapeException($"Checkpoint '{dir}' lacks state.json; it is incomplete.");
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), ResultFiles.Json)
                ?? throw new LossLandscapeException($"Checkpoint state '{statePath}' is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new LossLandscapeException($"Checkpoint state '{statePath}' is not valid JSON: {ex.Message}", ex);
        }
        var differences = Differences(state.Options, Describe(Options));
        if (differences.Count > 0)
            throw new LossLandscapeException($"The checkpoint in '{dir}' was written with different options ({string.Join("; ", differences)}); only the number of steps or epochs, the device and the thread count may change on resume.");
        if (state.Step > TotalSteps)
            throw new LossLandscapeException($"The checkpoint is at step {state.Step}, beyond the {TotalSteps} steps of this run; give more steps or epochs.");
        Checkpoint.Load(_model, Path.Combine(dir, "model.safetensors"));
        _sgd.Load(Path.Combine(dir, "optimizer.safetensors"));
        Step = state.Step;
        _plan.Cursor.Epoch = state.Epoch;
        _plan.Cursor.Position = state.Position;
        _seconds = state.Seconds;
        _history.Clear();
        _history.AddRange(state.History);
        _lastCheckpoint = dir;
    }

    /// <summary>The folder of the newest complete checkpoint in <paramref name="runDirectory"/>, or null.</summary>
    public static string? LatestCheckpoint(string runDirectory)
    {
        var pointer = Path.Combine(runDirectory, "checkpoints", "latest.json");
        if (!File.Exists(pointer)) return null;
        var node = JsonNode.Parse(File.ReadAllText(pointer));
        var name = node?["directory"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            throw new LossLandscapeException($"'{pointer}' does not name a checkpoint folder.");
        return Path.Combine(runDirectory, "checkpoints", name);
    }

    /// <summary>
    /// Trains until <see cref="TotalSteps"/> updates are done, cancellation is requested (a checkpoint is written at
    /// the step reached) or the loss becomes NaN or Inf (training stops before applying that step; the last good
    /// checkpoint stays).
    /// </summary>
    /// <remarks>With <see cref="TrainingOptions.Threads"/> set, Torch uses that many intra-op threads while the run lasts
    /// (a process-wide setting, put back afterwards).</remarks>
    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Options.Threads is not int threads) return RunCore(progress, cancellationToken);
        int before = get_num_threads();
        TorchRuntime.SetThreads(threads);
        try
        {
            return RunCore(progress, cancellationToken);
        }
        finally
        {
            set_num_threads(before);
        }
    }

    private TrainingResult RunCore(IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (RunDirectory is not null)
        {
            Directory.CreateDirectory(RunDirectory);
            var description = Describe(Options);
            foreach (var (key, value) in Description) description[key] = value?.DeepClone();
            AtomicFile.WriteAllText(Path.Combine(RunDirectory, "options.json"), description.ToJsonString(ResultFiles.Json) + "\n");
        }
        _model.train();
        if (_history.Count == 0) _history.Add(Evaluate(null, null, null, null));
        var clock = Stopwatch.StartNew();
        double startSeconds = _seconds;
        while (Step < TotalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _seconds = startSeconds + clock.Elapsed.TotalSeconds;
                var where = RunDirectory is null ? null : SaveCheckpoint();
                return Finish(StopReason.Cancelled, where is null
                    ? $"Training was cancelled at step {Step} of {TotalSteps}."
                    : $"Training was cancelled at step {Step} of {TotalSteps}; a checkpoint was written to '{where}' (Trainer.Resume continues from it).");
            }
            long t = Step;
            double lr = _schedule.Rate(Options.LearningRate, t, TotalSteps);
            int? batchSize = Options.BatchSizeAt(t);
            bool record = t + 1 == TotalSteps || (Options.EvalEvery > 0 && (t + 1) % Options.EvalEvery == 0);
            double loss;
            double? gradNorm = null;
            using (var scope = NewDisposeScope())
            {
                _model.zero_grad();
                loss = batchSize is int b ? MiniBatchGradient(b, t) : FullBatchGradient(t);
                if (!double.IsFinite(loss))
                {
                    _seconds = startSeconds + clock.Elapsed.TotalSeconds;
                    _history.Add(new TrainingRecord(t, _plan.Cursor.Epochs(_train.Count), lr, batchSize, loss, null, null, null, null, null, _seconds));
                    _model.zero_grad();
                    string good = _lastCheckpoint is null ? "no checkpoint was written before it" : $"the last good checkpoint is '{_lastCheckpoint}'";
                    Step = t;
                    return Finish(StopReason.Diverged,
                        $"The training loss became {(double.IsNaN(loss) ? "NaN" : "infinite")} at step {t} (learning rate {lr.ToString("G6", CultureInfo.InvariantCulture)}); training stopped without applying that step and {good}. Lower the learning rate or add a warm-up.");
                }
                if (record) gradNorm = GradientNorm();
                if (Options.NoiseScale > 0) AddNoise(t);
                _sgd.Step(lr);
            }
            Step = t + 1;
            _seconds = startSeconds + clock.Elapsed.TotalSeconds;
            TrainingRecord? rec = null;
            if (record)
            {
                rec = Evaluate(lr, batchSize, loss, gradNorm);
                _history.Add(rec);
            }
            if (RunDirectory is not null && Options.CheckpointEvery > 0 && Step % Options.CheckpointEvery == 0 && Step < TotalSteps)
                SaveCheckpoint();
            progress?.Report(new TrainingProgress(Step, TotalSteps, _plan.Cursor.Epochs(_train.Count), lr, loss, rec));
        }
        _seconds = startSeconds + clock.Elapsed.TotalSeconds;
        string? final = null;
        if (RunDirectory is not null)
        {
            final = SaveCheckpoint();
            Checkpoint.Save(_model, Path.Combine(RunDirectory, "model.safetensors"), CheckpointMetadata(null));
        }
        return Finish(StopReason.Completed, final is null
            ? $"Training finished: {Step} steps."
            : $"Training finished: {Step} steps; final model in '{Path.Combine(RunDirectory!, "model.safetensors")}'.");
    }

    /// <summary>
    /// Extra metadata written into every model checkpoint of the run, for example the input normalization the model
    /// was trained with (<see cref="TrainingData.MetadataMean"/>, <see cref="TrainingData.MetadataStd"/>), so that
    /// probes of the checkpoint see the same inputs.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Entries added to the run's <c>options.json</c> beside the <see cref="TrainingOptions"/> (for example how a front
    /// end names the model and the data), so the folder says what produced it.
    /// </summary>
    public JsonObject Description { get; init; } = new();

    private Dictionary<string, string> CheckpointMetadata(long? step)
    {
        var meta = new Dictionary<string, string>(Metadata);
        if (step is long s) meta["step"] = s.ToString(CultureInfo.InvariantCulture);
        return meta;
    }

    /// <summary>
    /// Writes a checkpoint of the current state into <c>checkpoints/step-NNNNNNNN</c> of the run folder, then points
    /// <c>checkpoints/latest.json</c> at it; returns the folder.
    /// </summary>
    /// <exception cref="LossLandscapeException">No run folder.</exception>
    public string SaveCheckpoint()
    {
        if (RunDirectory is null) throw new LossLandscapeException("Checkpoints need a run folder.");
        var name = "step-" + Step.ToString("D8", CultureInfo.InvariantCulture);
        var dir = Path.Combine(RunDirectory, "checkpoints", name);
        Directory.CreateDirectory(dir);
        Checkpoint.Save(_model, Path.Combine(dir, "model.safetensors"), CheckpointMetadata(Step));
        _sgd.Save(Path.Combine(dir, "optimizer.safetensors"));
        var state = new TrainerState(Step, _plan.Cursor.Epoch, _plan.Cursor.Position, _seconds, Describe(Options), _history.ToList());
        AtomicFile.WriteAllText(Path.Combine(dir, "state.json"), JsonSerializer.Serialize(state, ResultFiles.Json) + "\n");
        AtomicFile.WriteAllText(Path.Combine(RunDirectory, "checkpoints", "latest.json"),
            new JsonObject { ["directory"] = name, ["step"] = Step }.ToJsonString() + "\n");
        TrainingHistory.Write(RunDirectory, _history);
        _lastCheckpoint = dir;
        return dir;
    }

    /// <summary>Frees the optimizer state, the cached permutation and the evaluation subsets this trainer made.</summary>
    public void Dispose()
    {
        _sgd.Dispose();
        _plan.Dispose();
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }

    private TrainingResult Finish(StopReason reason, string message)
    {
        if (RunDirectory is not null) TrainingHistory.Write(RunDirectory, _history);
        return new TrainingResult(reason, Step, TotalSteps, message, _history.ToList(), _lastCheckpoint);
    }

    private double MiniBatchGradient(int batchSize, long step)
    {
        var (x, y) = _plan.NextBatch(_train, batchSize);
        var batch = BatchSource.FromTensors(Augment(x, step), y, batchSize, _train.Name);
        return new Objective(_model, _loss, batch).Backward();
    }

    private double FullBatchGradient(long step)
    {
        _plan.Next(_train.Count, null).Dispose();
        if (_augmentation is null)
            return new Objective(_model, _loss, _train).Backward();
        // Augmented full batch: one generator for the step, drawn from batch by batch in order; batch c weighs n_c / P.
        using var generator = new Generator((ulong)SeedStreams.Derive(Options.Seed, SeedStreams.Step, step));
        double total = 0;
        _train.ForEach((x, y) =>
        {
            long n = x.shape[0];
            var chunk = BatchSource.FromTensors(_augmentation(x, generator), y, n, _train.Name);
            double w = (double)n / _train.Count;
            total += w * new Objective(_model, _loss, chunk).Backward(w);
        });
        return total;
    }

    private Tensor Augment(Tensor x, long step)
    {
        if (_augmentation is null) return x;
        using var generator = new Generator((ulong)SeedStreams.Derive(Options.Seed, SeedStreams.Step, step));
        return _augmentation(x, generator);
    }

    private double GradientNorm()
    {
        using var scope = NewDisposeScope();
        double sum = 0;
        foreach (var p in _parameters)
        {
            using var g = p.grad;
            if (g is null) continue;
            sum += g.to(ScalarType.Float64).square().sum().item<double>();
        }
        return Math.Sqrt(sum);
    }

    private void AddNoise(long step)
    {
        using var _ = no_grad();
        using var gen = new Generator((ulong)SeedStreams.Derive(Options.Seed, SeedStreams.Noise, step), _parameters[0].device);
        foreach (var p in _parameters)
        {
            using var scope = NewDisposeScope();
            using var g = p.grad;
            if (g is null) continue;
            g.add_(randn(p.shape, dtype: p.dtype, device: p.device, generator: gen), alpha: Options.NoiseScale);
        }
    }

    private TrainingRecord Evaluate(double? lr, int? batchSize, double? batchLoss, double? gradNorm)
    {
        bool wasTraining = _model.training;
        _model.eval();
        // The chunk views that Evaluation.Evaluate's iterator creates belong to the scope that is current when they
        // are made; this scope frees them.
        using var scope = NewDisposeScope();
        try
        {
            var tr = Evaluation.Evaluate(_model, _loss, _evalTrain);
            var te = _evalTest is null ? null : Evaluation.Evaluate(_model, _loss, _evalTest);
            return new TrainingRecord(Step, _plan.Cursor.Epochs(_train.Count), lr ?? _schedule.Rate(Options.LearningRate, Step, TotalSteps),
                batchSize, batchLoss, gradNorm, tr.Loss, tr.Accuracy, te?.Loss, te?.Accuracy, _seconds);
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    /// <summary>The data set as the trainer reads it, after checking it against the model with the data set's own messages.</summary>
    private static BatchSource Source(nn.Module<Tensor, Tensor> model, Dataset data, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ModelCompatibility.Check(model, data, options.Loss);
        return BatchSource.FromDataset(data, options.ChunkSize);
    }

    /// <summary>The fixed evaluation subset of <paramref name="data"/> (a seeded sample, in chunks of the chunk size), or the whole data.</summary>
    private BatchSource Subset(BatchSource data, TrainingOptions options, long which)
    {
        if (options.EvalSubset is not long n || n >= data.Count) return data;
        if (!data.IsIndexable)
            throw new LossLandscapeException($"Data '{data.Name}' is a sequence of batches, from which an evaluation subset cannot be drawn; give the examples as tensors or evaluate on all of them.");
        using var scope = NewDisposeScope();
        using var perm = SeedStreams.Permutation(data.Count, options.Seed, SeedStreams.EvalSubset, which);
        using var pick = perm.narrow(0, 0, n);
        var (x, y) = data.Gather(pick);
        _owned.Add(x.DetachFromDisposeScope());
        _owned.Add(y.DetachFromDisposeScope());
        return BatchSource.FromTensors(x, y, options.ChunkSize, $"{data.Name} (subset of {n})");
    }

    /// <summary>The JSON description of <paramref name="o"/> (what <see cref="TrainingOptions.ToJson"/> writes).</summary>
    private static JsonObject Describe(TrainingOptions o) => JsonNode.Parse(o.ToJson())!.AsObject();

    /// <summary>The options that differ between a checkpoint's description and this run's; the number of steps or epochs and the thread count may change.</summary>
    private static List<string> Differences(JsonObject saved, JsonObject now)
    {
        var resumable = new HashSet<string>(StringComparer.Ordinal) { "steps", "epochs", "threads" };
        var diffs = new List<string>();
        foreach (var key in saved.Select(kv => kv.Key).Union(now.Select(kv => kv.Key)).Where(k => !resumable.Contains(k)))
        {
            var va = saved[key];
            var vb = now[key];
            if (!JsonNode.DeepEquals(va, vb)) diffs.Add($"{key}: checkpoint {va?.ToJsonString() ?? "null"}, now {vb?.ToJsonString() ?? "null"}");
        }
        return diffs;
    }
}
