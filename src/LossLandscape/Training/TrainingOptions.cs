using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LossLandscape.IO;
using LossLandscape.Losses;
using LossLandscape.Data;
using LossLandscape.Models;
using LossLandscape.Runtime;

namespace LossLandscape.Training;

/// <summary>
/// Everything that determines a training run. Serialized next to the results (<c>options.json</c>), it lets the run be
/// repeated exactly: same options, same seed, same data, same device type and thread count give the same weights on the CPU.
/// </summary>
/// <remarks>
/// Batches: each epoch draws a permutation of the training set from (Seed, epoch) and takes consecutive batches of the
/// current batch size from it; an incomplete remainder is dropped and the next epoch begins (drop-last). Full-batch
/// gradient descent uses every example each step (one step = one epoch), accumulating the gradient of the mean loss
/// over chunks of <see cref="ChunkSize"/> examples with weights n_chunk / P. Exactly one of <see cref="Steps"/> and
/// <see cref="Epochs"/> is given; epochs are converted to a number of updates before training starts.
/// </remarks>
public sealed record TrainingOptions
{
    /// <summary>The loss l(s, y) (default cross-entropy). Written to JSON as its name.</summary>
    [JsonIgnore]
    public LossFunction Loss { get; init; } = new CrossEntropyLoss();

    /// <summary>The loss's name, as written to JSON.</summary>
    [JsonPropertyName("loss")]
    public string LossName => Loss.Name;

    /// <summary>Mini-batch size B (ignored while <see cref="FullBatch"/> is in effect).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Full-batch gradient descent: every training example in every step (until a batch-size switch, if any).</summary>
    public bool FullBatch { get; init; }

    /// <summary>Number of updates T (exclusive with <see cref="Epochs"/>).</summary>
    public long? Steps { get; init; }

    /// <summary>Number of epochs (exclusive with <see cref="Steps"/>).</summary>
    public int? Epochs { get; init; }

    /// <summary>Base learning rate lr_0.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Momentum mu (0 = plain SGD).</summary>
    public double Momentum { get; init; }

    /// <summary>Dampening tau of the momentum buffer.</summary>
    public double Dampening { get; init; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Weight decay lambda (L2: lambda w added to the gradient).</summary>
    public double WeightDecay { get; init; }

    /// <summary>The learning-rate schedule lr_t = lr_0 * schedule(t, T) (default constant). Written to JSON as its text.</summary>
    [JsonIgnore]
    public LearningRateSchedule Schedule { get; init; } = new ConstantSchedule();

    /// <summary>The schedule's text, as written to JSON.</summary>
    [JsonPropertyName("schedule")]
    public string ScheduleName => Schedule.ToString() ?? "";

    /// <summary>Standard deviation sigma of isotropic Gaussian noise added to the gradient each step (0 = none): g + sigma xi, xi ~ N(0, I).</summary>
    public double NoiseScale { get; init; }

    /// <summary>The update index from which <see cref="SecondBatchSize"/> is used (two-phase training), or null.</summary>
    public long? SwitchBatchSizeAt { get; init; }

    /// <summary>The batch size from <see cref="SwitchBatchSizeAt"/> on.</summary>
    public int? SecondBatchSize { get; init; }

    /// <summary>Evaluate (train and test loss and accuracy) every this many updates; 0 = only at the start and the end.</summary>
    public long EvalEvery { get; init; }

    /// <summary>Evaluate on a fixed random subset of this many examples of each set (drawn once from the seed), or null for the full sets.</summary>
    public long? EvalSubset { get; init; }

    /// <summary>Write a checkpoint every this many updates; 0 = only at the end (and on cancellation).</summary>
    public long CheckpointEvery { get; init; }

    /// <summary>Chunk size for full-batch gradients and for evaluation (bounds memory, not the result).</summary>
    public int ChunkSize { get; init; } = 1000;

    /// <summary>Seed of every random draw of the run (shuffling, augmentation, noise, evaluation subsets); the model's initialization is the caller's.</summary>
    public long Seed { get; init; }

    /// <summary>Intra-op thread count, or null for Torch's default.</summary>
    public int? Threads { get; init; }

    /// <summary>The batch size used at update <paramref name="step"/>, or null where the step is full-batch.</summary>
    public int? BatchSizeAt(long step)
    {
        if (SwitchBatchSizeAt is long s && step >= s) return SecondBatchSize;
        return FullBatch ? null : BatchSize;
    }

    /// <summary>Checks every option against a training set of <paramref name="trainCount"/> examples.</summary>
    /// <exception cref="LossLandscapeException">The first problem found, with what to do.</exception>
    public void Validate(long trainCount)
    {
        if (Loss is null) throw new LossLandscapeException("Give a loss.");
        if (Schedule is null) throw new LossLandscapeException("Give a learning-rate schedule.");
        if (trainCount < 1) throw new LossLandscapeException("The training set is empty.");
        if ((Steps is null) == (Epochs is null))
            throw new LossLandscapeException("Give exactly one of the number of steps and the number of epochs (TrainingOptions.Steps or TrainingOptions.Epochs).");
        if (Steps is < 1) throw new LossLandscapeException($"The number of steps must be at least 1; got {Steps}.");
        if (Epochs is < 1) throw new LossLandscapeException($"The number of epochs must be at least 1; got {Epochs}.");
        if (!FullBatch && (BatchSize < 1 || BatchSize > trainCount))
            throw new LossLandscapeException($"Batch size {BatchSize} is not valid for {trainCount} training examples: give 1 to {trainCount}, or use full-batch gradient descent.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new LossLandscapeException($"Learning rate {LearningRate} is not valid: give a positive number.");
        SgdOptimizer.Validate(Momentum, Dampening, Nesterov, WeightDecay);
        if (!(NoiseScale >= 0) || double.IsInfinity(NoiseScale))
            throw new LossLandscapeException($"Noise scale {NoiseScale} is not valid: give a number >= 0.");
        if ((SwitchBatchSizeAt is null) != (SecondBatchSize is null))
            throw new LossLandscapeException("A batch-size switch needs both the step (TrainingOptions.SwitchBatchSizeAt) and the new size (TrainingOptions.SecondBatchSize).");
        if (SwitchBatchSizeAt is < 0) throw new LossLandscapeException($"The batch-size switch step must be >= 0; got {SwitchBatchSizeAt}.");
        if (SecondBatchSize is int b2 && (b2 < 1 || b2 > trainCount))
            throw new LossLandscapeException($"Second batch size {b2} is not valid for {trainCount} training examples: give 1 to {trainCount}.");
        if (EvalEvery < 0) throw new LossLandscapeException($"Evaluation interval {EvalEvery} is not valid: give 0 (start and end only) or a positive number of steps.");
        if (EvalSubset is < 1) throw new LossLandscapeException($"Evaluation subset size {EvalSubset} is not valid: give a positive number or leave it out for the full sets.");
        if (CheckpointEvery < 0) throw new LossLandscapeException($"Checkpoint interval {CheckpointEvery} is not valid: give 0 (end only) or a positive number of steps.");
        if (ChunkSize < 1) throw new LossLandscapeException($"Chunk size {ChunkSize} is not valid: give a positive number.");
        if (Threads is < 1) throw new LossLandscapeException($"Thread count {Threads} is not valid: give at least 1.");
    }

    /// <summary>
    /// The number of updates T of the run on <paramref name="trainCount"/> examples: <see cref="Steps"/>, or the
    /// updates that <see cref="Epochs"/> epochs take with the drop-last batching (and batch-size switch) described above.
    /// </summary>
    public long TotalSteps(long trainCount)
    {
        if (Steps is long s) return s;
        long epochs = Epochs ?? throw new LossLandscapeException("Give the number of steps or epochs.");
        var cursor = new BatchCursor();
        long step = 0;
        while (true)
        {
            cursor.Advance(BatchSizeAt(step), trainCount);
            step++;
            if (cursor.CompletedEpochs(BatchSizeAt(step), trainCount) >= epochs) return step;
        }
    }

    /// <summary>The JSON text of these options (indented, camelCase).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ResultFiles.Json);

    /// <summary>
    /// Reads options written by <see cref="ToJson"/> (other fields are ignored), turning the loss name and the schedule
    /// text back into objects with the caller's <paramref name="loss"/> and <paramref name="schedule"/> readers.
    /// </summary>
    /// <exception cref="LossLandscapeException">The text is not valid options JSON, or lacks the loss or the schedule.</exception>
    public static TrainingOptions FromJson(string json, Func<string, LossFunction> loss, Func<string, LearningRateSchedule> schedule)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(schedule);
        try
        {
            var o = JsonSerializer.Deserialize<TrainingOptions>(json, ResultFiles.Json) ?? throw new LossLandscapeException("The options JSON is empty (null).");
            var node = JsonNode.Parse(json)!.AsObject();
            string Text(string key) => node[key]?.GetValue<string>() ?? throw new LossLandscapeException($"The training options lack '{key}'.");
            return o with { Loss = loss(Text("loss")), Schedule = schedule(Text("schedule")) };
        }
        catch (JsonException ex)
        {
            throw new LossLandscapeException($"The training options are not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <see cref="ToJson"/> atomically to <paramref name="path"/>.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    /// <summary>Reads options from <paramref name="path"/> (see <see cref="FromJson"/>).</summary>
    /// <exception cref="LossLandscapeException">The file is missing or not valid options JSON.</exception>
    public static TrainingOptions Load(string path, Func<string, LossFunction> loss, Func<string, LearningRateSchedule> schedule)
    {
        if (!File.Exists(path)) throw new LossLandscapeException($"Options file '{path}' does not exist.");
        return FromJson(File.ReadAllText(path), loss, schedule);
    }
}
