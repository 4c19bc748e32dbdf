using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Data as a fixed sequence of batches (inputs x, targets y) over <see cref="Count"/> examples: what the curvature
/// operators, the probes and the evaluation read. Made from tensors the caller keeps (<see cref="FromTensors"/>), from
/// a <see cref="Dataset"/> (<see cref="FromDataset"/>) or from any sequence of batches plus the example count
/// (<see cref="FromBatches"/>, as curvlinops takes an iterable of <c>(X, y)</c> plus <c>num_data</c>).
/// </summary>
/// <remarks>
/// Targets are int64 class labels <c>[B]</c> or floating-point targets (<c>[B]</c> or <c>[B, C]</c>, regression with the
/// squared error). A source never takes ownership of the caller's tensors and never hands out tensors that outlive a
/// batch: <see cref="ForEach"/> calls the visitor once per batch inside a dispose scope of its own, so views it made
/// and anything the visitor allocates without moving it out are freed after each batch. Every pass visits the same
/// batches in the same order; the batch sizes add up to <see cref="Count"/> (checked for caller-made sequences).
/// </remarks>
public abstract class BatchSource
{
    /// <summary>N, the number of examples over which a mean runs (the sum of the batch sizes).</summary>
    public abstract long Count { get; }

    /// <summary>A short name for messages (for example <c>fashion-mnist/train</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Calls <paramref name="visit"/> with each batch (inputs, targets) in order, each inside its own dispose scope;
    /// the tensors are valid during the call only.
    /// </summary>
    /// <exception cref="LossLandscapeException">The batches do not add up to <see cref="Count"/> examples, or a batch's inputs and targets differ in length.</exception>
    public void ForEach(Action<Tensor, Tensor> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        Visit((x, y) =>
        {
            visit(x, y);
            return true;
        });
    }

    /// <summary>Applies <paramref name="read"/> to the first batch only (for example to check shapes) and returns its result, which must not hold the batch's tensors.</summary>
    /// <exception cref="LossLandscapeException">The source is empty.</exception>
    public T First<T>(Func<Tensor, Tensor, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        T result = default!;
        bool any = false;
        Visit((x, y) =>
        {
            result = read(x, y);
            any = true;
            return false;
        }, checkCount: false);
        if (!any) throw new LossLandscapeException($"Data '{Name}' holds no batch.");
        return result;
    }

    /// <summary>Whether <see cref="Gather"/> can pick examples by index (true for sources made from tensors or a data set).</summary>
    public virtual bool IsIndexable => false;

    /// <summary>
    /// The inputs and targets of the examples at <paramref name="indices"/> (int64, 1-D, each in [0, <see cref="Count"/>)),
    /// in that order, as new tensors in the current dispose scope; this source stays as it is.
    /// </summary>
    /// <exception cref="LossLandscapeException">The source is a sequence of batches (not indexable), or an index is out of range.</exception>
    public (Tensor Inputs, Tensor Targets) Gather(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (!IsIndexable)
            throw new LossLandscapeException($"Data '{Name}' is a sequence of batches, which cannot be shuffled or sampled by index; give the examples as tensors (BatchSource.FromTensors or FromDataset).");
        if (indices.dtype != ScalarType.Int64 || indices.dim() != 1 || indices.shape[0] < 1)
            throw new LossLandscapeException($"Indices into data '{Name}' must be a non-empty 1-D int64 tensor; got {indices.dtype} of shape [{string.Join(", ", indices.shape)}].");
        long lo = indices.min().item<long>(), hi = indices.max().item<long>();
        if (lo < 0 || hi >= Count)
            throw new LossLandscapeException($"Indices into data '{Name}' must lie in [0, {Count}); got {(lo < 0 ? lo : hi)}.");
        return GatherCore(indices);
    }

    /// <summary>The examples at valid <paramref name="indices"/>; only indexable sources implement it.</summary>
    protected virtual (Tensor Inputs, Tensor Targets) GatherCore(Tensor indices) =>
        throw new NotSupportedException($"Data '{Name}' cannot be indexed.");

    /// <summary>
    /// The first <paramref name="limit"/> examples (all when null) in batches of <paramref name="batchSize"/> (the last one
    /// shorter when the size does not divide them), whatever this source's own batches are; nothing is copied for
    /// sources made from tensors, a sequence of batches is re-cut as it streams.
    /// </summary>
    /// <exception cref="LossLandscapeException">A batch size or limit below 1.</exception>
    public BatchSource Rebatch(long batchSize, long? limit = null)
    {
        if (batchSize < 1) throw new LossLandscapeException($"Batch size {batchSize} is not valid: give at least 1.");
        if (limit is < 1) throw new LossLandscapeException($"A limit of {limit} examples is not valid: give at least 1 (or none for all).");
        long count = Math.Min(limit ?? Count, Count);
        return RebatchCore(batchSize, count);
    }

    /// <summary>The first <paramref name="count"/> examples in batches of <paramref name="batchSize"/>.</summary>
    protected virtual BatchSource RebatchCore(long batchSize, long count) => new RecutSource(this, batchSize, count);

    /// <summary>The batches in order; <paramref name="visit"/> returns false to stop early (then the count is not checked).</summary>
    protected abstract void Visit(Func<Tensor, Tensor, bool> visit, bool checkCount = true);

    /// <summary>
    /// Batches of at most <paramref name="batchSize"/> consecutive examples of <paramref name="inputs"/> (<c>[N, ...]</c>)
    /// and <paramref name="targets"/> (<c>[N]</c> or <c>[N, C]</c>), as views; the last batch is shorter when the size does
    /// not divide N. The tensors stay the caller's (they are neither copied nor disposed).
    /// </summary>
    /// <exception cref="LossLandscapeException">Shapes or dtypes that do not fit, or a batch size below 1.</exception>
    public static BatchSource FromTensors(Tensor inputs, Tensor targets, long batchSize = 1000, string name = "data")
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        CheckTensors(name, inputs, targets);
        return new TensorSource(name, inputs, targets, batchSize, inputs.shape[0]);
    }

    /// <summary>
    /// The first <paramref name="limit"/> examples (all when null) of <paramref name="data"/> in batches of at most
    /// <paramref name="batchSize"/>; the data set stays the caller's.
    /// </summary>
    /// <exception cref="LossLandscapeException">A batch size or limit below 1.</exception>
    public static BatchSource FromDataset(Dataset data, long batchSize = 1000, long? limit = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (limit is < 1) throw new LossLandscapeException($"A limit of {limit} examples is not valid: give at least 1 (or none for the whole data set).");
        return new TensorSource(data.Name, data.Inputs, data.Labels, batchSize, Math.Min(limit ?? data.Count, data.Count));
    }

    /// <summary>
    /// Any sequence of batches, made anew by <paramref name="batches"/> for every pass, over <paramref name="count"/>
    /// examples in all. The batches' tensors stay the caller's.
    /// </summary>
    /// <exception cref="LossLandscapeException">A count below 1.</exception>
    public static BatchSource FromBatches(Func<IEnumerable<(Tensor X, Tensor Y)>> batches, long count, string name = "batches")
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (count < 1) throw new LossLandscapeException($"An example count of {count} is not valid: give the number of examples the batches hold (at least 1).");
        return new SequenceSource(name, batches, count);
    }

    /// <summary>Checks that inputs and targets fit each other: floating-point inputs with a leading example dimension, int64 labels [N] or floating-point targets [N] / [N, C].</summary>
    /// <exception cref="LossLandscapeException">The first mismatch, naming both sides.</exception>
    public static void CheckTensors(string name, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.dim() < 2)
            throw new LossLandscapeException($"Data '{name}': inputs must be [N, d] or [N, C, H, W]; got shape [{string.Join(", ", inputs.shape)}].");
        if (!inputs.is_floating_point())
            throw new LossLandscapeException($"Data '{name}': inputs must be floating point; got {inputs.dtype}.");
        if (targets.dim() is < 1 or > 2 || targets.shape[0] != inputs.shape[0])
            throw new LossLandscapeException($"Data '{name}': targets must be [N] or [N, C] with N = {inputs.shape[0]} (the inputs' first dimension); got shape [{string.Join(", ", targets.shape)}].");
        if (targets.dtype == ScalarType.Int64)
        {
            if (targets.dim() != 1)
                throw new LossLandscapeException($"Data '{name}': class labels (int64) must be [N]; got shape [{string.Join(", ", targets.shape)}]. Give float targets for regression.");
        }
        else if (!targets.is_floating_point())
        {
            throw new LossLandscapeException($"Data '{name}': targets must be int64 class labels or floating-point regression targets; got {targets.dtype}.");
        }
        if (inputs.device.ToString() != targets.device.ToString())
            throw new LossLandscapeException($"Data '{name}': inputs live on {inputs.device}, targets on {targets.device}; move both to one device.");
    }

    private sealed class TensorSource : BatchSource
    {
        private readonly Tensor _inputs;
        private readonly Tensor _targets;
        private readonly long _batchSize;
        private readonly long _count;

        public TensorSource(string name, Tensor inputs, Tensor targets, long batchSize, long count)
        {
            if (batchSize < 1) throw new LossLandscapeException($"Batch size {batchSize} is not valid: give at least 1.");
            if (count < 1) throw new LossLandscapeException($"Data '{name}' holds no example.");
            Name = name;
            _inputs = inputs;
            _targets = targets;
            _batchSize = batchSize;
            _count = count;
        }

        public override long Count => _count;

        public override string Name { get; }

        public override bool IsIndexable => true;

        protected override (Tensor Inputs, Tensor Targets) GatherCore(Tensor indices)
        {
            using var idx = indices.to(_inputs.device);
            return (_inputs.index_select(0, idx), _targets.index_select(0, idx));
        }

        protected override BatchSource RebatchCore(long batchSize, long count) => new TensorSource(Name, _inputs, _targets, batchSize, count);

        protected override void Visit(Func<Tensor, Tensor, bool> visit, bool checkCount = true)
        {
            for (long start = 0; start < _count; start += _batchSize)
            {
                using var scope = NewDisposeScope();
                long n = Math.Min(_batchSize, _count - start);
                if (!visit(_inputs.narrow(0, start, n), _targets.narrow(0, start, n))) return;
            }
        }
    }

    private sealed class SequenceSource(string name, Func<IEnumerable<(Tensor X, Tensor Y)>> batches, long count) : BatchSource
    {
        public override long Count => count;

        public override string Name => name;

        protected override void Visit(Func<Tensor, Tensor, bool> visit, bool checkCount = true)
        {
            long seen = 0;
            foreach (var (x, y) in batches())
            {
                ArgumentNullException.ThrowIfNull(x);
                ArgumentNullException.ThrowIfNull(y);
                CheckTensors(name, x, y);
                seen += x.shape[0];
                if (seen > count)
                    throw new LossLandscapeException($"Data '{name}': the batches hold more than the {count} examples given as their count; give the true count.");
                using var scope = NewDisposeScope();
                if (!visit(x, y)) return;
            }
            if (checkCount && seen != count)
                throw new LossLandscapeException($"Data '{name}': the batches held {seen} examples, not the {count} given as their count; give the true count.");
        }
    }

    /// <summary>Another source's first examples re-cut into batches of a given size as they stream (a remainder is carried, copied, into the next batch).</summary>
    private sealed class RecutSource(BatchSource inner, long batchSize, long count) : BatchSource
    {
        public override long Count => count;

        public override string Name => inner.Name;

        protected override void Visit(Func<Tensor, Tensor, bool> visit, bool checkCount = true)
        {
            Tensor? carryX = null, carryY = null;
            long emitted = 0;
            bool stopped = false;
            try
            {
                inner.Visit((x, y) =>
                {
                    var bx = carryX is null ? x : cat(new[] { carryX, x }, 0);
                    var by = carryY is null ? y : cat(new[] { carryY, y }, 0);
                    long at = 0, have = bx.shape[0];
                    while (emitted < count && have - at >= Math.Min(batchSize, count - emitted))
                    {
                        long n = Math.Min(batchSize, count - emitted);
                        using var scope = NewDisposeScope();
                        if (!visit(bx.narrow(0, at, n), by.narrow(0, at, n))) { stopped = true; return false; }
                        at += n;
                        emitted += n;
                    }
                    carryX?.Dispose();
                    carryY?.Dispose();
                    carryX = carryY = null;
                    if (emitted >= count) return false;
                    if (at < have)
                    {
                        carryX = bx.narrow(0, at, have - at).clone().DetachFromDisposeScope();
                        carryY = by.narrow(0, at, have - at).clone().DetachFromDisposeScope();
                    }
                    return true;
                }, checkCount: false);
                if (!stopped && emitted < count && carryX is not null)
                {
                    using var scope = NewDisposeScope();
                    long n = carryX.shape[0];
                    visit(carryX, carryY!);
                    emitted += n;
                }
                if (checkCount && !stopped && emitted != count)
                    throw new LossLandscapeException($"Data '{Name}': the batches held {emitted} examples, not the {count} asked for.");
            }
            finally
            {
                carryX?.Dispose();
                carryY?.Dispose();
            }
        }
    }
}
