using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>
/// Moves a model through weight space and measures loss and accuracy: line scans, plane scans, and single points.
/// Every point's weights are computed from fixed end points or an origin directly (never by accumulated in-place
/// steps), and every scan leaves the model exactly as it found it (parameters, buffers, train/eval flags).
/// </summary>
public sealed class LandscapeProbe
{
    /// <summary>
    /// Creates a probe of <paramref name="model"/> on the data set <paramref name="train"/> (and optionally
    /// <paramref name="test"/>), read in chunks of <see cref="ProbeOptions.ChunkSize"/>; the data sets stay the caller's.
    /// </summary>
    /// <param name="model">The model; its current weights are the probe's reference and are restored after every scan.</param>
    /// <param name="train">Training data: the loss surface, and the batches for BatchNorm recomputation.</param>
    /// <param name="test">Optional test data measured beside the training data.</param>
    /// <param name="options">Loss, chunking, BatchNorm policy, progress.</param>
    /// <param name="space">The parameter space to move in (all trainable parameters by default).</param>
    public LandscapeProbe(nn.Module<Tensor, Tensor> model, Dataset train, Dataset? test = null, ProbeOptions? options = null, ParameterSpace? space = null)
        : this(model, Source(model, train, options), test is null ? null : Source(model, test, options), options, space)
    {
    }

    /// <summary>
    /// Creates a probe of <paramref name="model"/> on any batch source <paramref name="train"/> (and optionally
    /// <paramref name="test"/>): the caller's tensors (<see cref="BatchSource.FromTensors"/>), class labels or
    /// regression targets, or a sequence of batches. Evaluations read the sources' own batches.
    /// </summary>
    /// <param name="model">The model; its current weights are the probe's reference and are restored after every scan.</param>
    /// <param name="train">Training data: the loss surface, and the batches for BatchNorm recomputation.</param>
    /// <param name="test">Optional test data measured beside the training data.</param>
    /// <param name="options">Loss, BatchNorm policy, progress.</param>
    /// <param name="space">The parameter space to move in (all trainable parameters by default).</param>
    /// <exception cref="LossLandscapeException">Model and data do not fit, or the space views another module.</exception>
    public LandscapeProbe(nn.Module<Tensor, Tensor> model, BatchSource train, BatchSource? test = null, ProbeOptions? options = null, ParameterSpace? space = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Train = train ?? throw new ArgumentNullException(nameof(train));
        Test = test;
        Options = options ?? new ProbeOptions();
        Space = space ?? new ParameterSpace(model);
        if (!ReferenceEquals(Space.Module, model))
            throw new LossLandscapeException("The parameter space views a different module than the probed model; build it with new ParameterSpace(model).");
        Policy = BatchNorms.Resolve(model, Options.BatchNorm);
        if (Options.ChunkSize < 1) throw new LossLandscapeException($"Chunk size {Options.ChunkSize} is not valid: give at least 1.");
        Models.ModelCompatibility.Check(model, train, Options.Loss);
        if (test is not null) Models.ModelCompatibility.Check(model, test, Options.Loss);
    }

    /// <summary>The probed model.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The training data.</summary>
    public BatchSource Train { get; }

    /// <summary>The test data, or null.</summary>
    public BatchSource? Test { get; }

    /// <summary>The options.</summary>
    public ProbeOptions Options { get; }

    /// <summary>The parameter space the probe moves in.</summary>
    public ParameterSpace Space { get; }

    /// <summary>The BatchNorm policy in force (the requested one, or the default for this model).</summary>
    public BatchNormPolicy Policy { get; }

    /// <summary>The policy's name as written in results.</summary>
    public string PolicyName => BatchNorms.Name(Policy);

    /// <summary>
    /// Measures the model at its current weights under the probe's policy: recomputes BatchNorm statistics when the
    /// policy says so, then evaluates in eval mode. Does not restore anything (callers wrap it in
    /// <see cref="ParameterSpace.Preserve"/>).
    /// </summary>
    public PointMeasure MeasureCurrent()
    {
        if (Policy == BatchNormPolicy.Recompute)
            BatchNorms.RecomputeStatistics(Model, Train, Options.RecomputeBatchSize, Options.RecomputeBatches);
        Model.eval();
        var tr = Evaluation.Evaluate(Model, Options.Loss, Train);
        EvaluationResult? te = Test is null ? null : Evaluation.Evaluate(Model, Options.Loss, Test);
        return new PointMeasure(tr.Loss, tr.Accuracy, te?.Loss, te?.Accuracy);
    }

    /// <summary>Measures the model at <paramref name="theta"/> and puts the model back.</summary>
    public PointMeasure MeasureAt(Tensor theta)
    {
        using var keep = Space.Preserve();
        Space.Set(theta);
        return MeasureCurrent();
    }

    /// <summary>
    /// Line scan between two models: theta(a) = (1 - a) theta_A + a theta_B at every a of <paramref name="alphas"/>
    /// (values outside [0, 1] extrapolate).
    /// </summary>
    /// <remarks>
    /// Each point is computed from the end points directly as (1 - a) theta_A + a theta_B, so a = 0 and a = 1 give the
    /// end points bit for bit. With <paramref name="normPreserving"/> the vector is rescaled to the interpolated norm:
    /// theta(a) = v(a) ((1 - a)|theta_A| + a|theta_B|) / |v(a)| with v(a) = (1 - a) theta_A + a theta_B (Sagun et al.).
    /// Under <see cref="BatchNormPolicy.InterpolateStatistics"/> the buffers of both end points are interpolated with
    /// the same a (<see cref="BatchNorms.SetInterpolatedBuffers"/>).
    /// </remarks>
    /// <exception cref="LossLandscapeException">No alpha, a non-finite alpha, or interpolated statistics without both end points' buffers.</exception>
    public LineScanResult Interpolate(ModelPoint a, ModelPoint b, IReadOnlyList<double> alphas, bool normPreserving = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckAlphas(alphas);
        if (Policy == BatchNormPolicy.InterpolateStatistics && (a.Buffers is null || b.Buffers is null))
            throw new LossLandscapeException("BatchNorm policy 'interpolate' needs the buffers of both end points; capture them with ModelPoint.Capture, or choose eval or recompute.");
        double normA = ParameterSpace.Norm(a.Theta), normB = ParameterSpace.Norm(b.Theta);
        var points = new List<LinePoint>(alphas.Count);
        using (Space.Preserve())
        {
            for (int k = 0; k < alphas.Count; k++)
            {
                double alpha = alphas[k];
                using (var scope = NewDisposeScope())
                {
                    var x = Combine(a.Theta, b.Theta, alpha);
                    if (normPreserving)
                    {
                        double target = (1 - alpha) * normA + alpha * normB;
                        double current = ParameterSpace.Norm(x);
                        if (current > 0 && target != current) x = x.mul(target / current);
                    }
                    Space.Set(x);
                }
                if (Policy == BatchNormPolicy.InterpolateStatistics)
                    BatchNorms.SetInterpolatedBuffers(Model, a.Buffers!, b.Buffers!, alpha);
                var m = MeasureCurrent();
                points.Add(new LinePoint(alpha, m.Loss, m.Accuracy, m.TestLoss, m.TestAccuracy));
                Options.Progress?.Report(new ProbeProgress(k + 1, alphas.Count));
            }
        }
        return new LineScanResult("between", normPreserving, PolicyName, Options.Loss.Name, normA, normB, points);
    }

    /// <summary>Line scan from <paramref name="origin"/> along <paramref name="direction"/>: theta(a) = origin + a d.</summary>
    /// <exception cref="LossLandscapeException">No alpha, a non-finite alpha, or the interpolated-statistics policy (which needs two models).</exception>
    public LineScanResult AlongDirection(Tensor origin, Tensor direction, IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(direction);
        CheckAlphas(alphas);
        RejectInterpolatedStatistics("a scan along a direction");
        var points = new List<LinePoint>(alphas.Count);
        using (Space.Preserve())
        {
            for (int k = 0; k < alphas.Count; k++)
            {
                Space.SetCombination(origin, (alphas[k], direction));
                var m = MeasureCurrent();
                points.Add(new LinePoint(alphas[k], m.Loss, m.Accuracy, m.TestLoss, m.TestAccuracy));
                Options.Progress?.Report(new ProbeProgress(k + 1, alphas.Count));
            }
        }
        return new LineScanResult("direction", false, PolicyName, Options.Loss.Name, ParameterSpace.Norm(origin), ParameterSpace.Norm(direction), points);
    }

    /// <summary>
    /// Plane scan: the loss at theta(x, y) = origin + x d1 + y d2 for every grid point (or for the points of one shard).
    /// </summary>
    /// <remarks>
    /// Each point is set from the origin directly (<see cref="ParameterSpace.SetCombination"/>), so the value at a grid
    /// point does not depend on which other points were computed: a sharded grid merges into exactly the grid one
    /// process computes.
    /// </remarks>
    public GridShard ScanShard(PlaneBasis plane, GridSpec grid, ShardSpec shard) => ScanShard(plane, grid, shard, null, null);

    /// <summary>
    /// Plane scan of one shard that skips the points in <paramref name="done"/> (values written by an earlier,
    /// interrupted run of the same shard) and calls <paramref name="pointDone"/> with the shard so far after each new
    /// point, so that the caller can save it. The returned shard holds the points in ascending index order, exactly as
    /// an uninterrupted run writes them.
    /// </summary>
    /// <exception cref="LossLandscapeException">A point of <paramref name="done"/> does not belong to this shard, or appears twice.</exception>
    public GridShard ScanShard(PlaneBasis plane, GridSpec grid, ShardSpec shard, IReadOnlyCollection<GridPointValue>? done, Action<GridShard>? pointDone)
    {
        ArgumentNullException.ThrowIfNull(plane);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(shard);
        RejectInterpolatedStatistics("a plane scan");
        var indices = shard.PointsOf(grid.Count);
        var mine = new HashSet<int>(indices);
        var known = new SortedDictionary<int, GridPointValue>();
        foreach (var p in done ?? Array.Empty<GridPointValue>())
        {
            if (!mine.Contains(p.Index)) throw new LossLandscapeException($"Point {p.Index} does not belong to shard {shard} of a grid of {grid.Count} points.");
            if (!known.TryAdd(p.Index, p)) throw new LossLandscapeException($"Point {p.Index} is given twice.");
        }
        string fingerprint = Fingerprint(plane, grid);
        GridShard Snapshot() => new(GridShard.FormatVersion, fingerprint, grid, shard, plane.Kind, PolicyName, Options.Loss.Name, Test is not null, plane.Anchors, known.Values.ToArray());
        using (Space.Preserve())
        {
            foreach (int index in indices)
            {
                if (known.ContainsKey(index)) continue;
                var (x, y) = grid.Coordinates(index);
                Space.SetCombination(plane.Origin, (x, plane.D1), (y, plane.D2));
                var m = MeasureCurrent();
                known.Add(index, new GridPointValue(index, m.Loss, m.Accuracy, m.TestLoss, m.TestAccuracy));
                pointDone?.Invoke(Snapshot());
                Options.Progress?.Report(new ProbeProgress(known.Count, indices.Count));
            }
        }
        return Snapshot();
    }

    /// <summary>The whole plane in one process (the single shard 0/1).</summary>
    public PlaneScanResult ScanPlane(PlaneBasis plane, GridSpec grid) =>
        GridMerge.Merge(new[] { ScanShard(plane, grid, ShardSpec.Single) });

    /// <summary>
    /// A hex SHA-256 of everything a grid value depends on: the grid, the plane (origin and directions, bit for bit), the
    /// data (inputs and labels, bit for bit), the loss, the BatchNorm policy and its batches. Shards merge only when
    /// their fingerprints agree.
    /// </summary>
    public string Fingerprint(PlaneBasis plane, GridSpec grid)
    {
        ArgumentNullException.ThrowIfNull(plane);
        ArgumentNullException.ThrowIfNull(grid);
        using var h = new InputHash("llscape-grid-v1");
        h.Text(grid.ToString());
        h.Text(plane.Kind);
        h.Bytes(plane.Origin);
        h.Bytes(plane.D1);
        h.Bytes(plane.D2);
        h.Data(this);
        return h.Finish();
    }

    /// <summary>The data set as the probe reads it, after checking it against the model with the data set's own messages.</summary>
    private static BatchSource Source(nn.Module<Tensor, Tensor> model, Dataset data, ProbeOptions? options)
    {
        ArgumentNullException.ThrowIfNull(data);
        var o = options ?? new ProbeOptions();
        if (o.ChunkSize < 1) throw new LossLandscapeException($"Chunk size {o.ChunkSize} is not valid: give at least 1.");
        Models.ModelCompatibility.Check(model, data, o.Loss);
        return BatchSource.FromDataset(data, o.ChunkSize);
    }

    /// <summary>(1 - a) x + a y, computed from the end points directly (exact at a = 0 and a = 1).</summary>
    internal static Tensor Combine(Tensor x, Tensor y, double alpha)
    {
        if (alpha == 0) return x.clone();
        if (alpha == 1) return y.clone();
        return x.mul(1 - alpha).add_(y, alpha: alpha);
    }

    private void RejectInterpolatedStatistics(string what)
    {
        if (Policy == BatchNormPolicy.InterpolateStatistics)
            throw new LossLandscapeException($"BatchNorm policy 'interpolate' applies only to line scans between two models, not to {what}; choose eval or recompute.");
    }

    private static void CheckAlphas(IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        if (alphas.Count == 0) throw new LossLandscapeException("The line scan needs at least one coefficient a.");
        foreach (var a in alphas)
            if (!double.IsFinite(a)) throw new LossLandscapeException($"Coefficient {a} is not a finite number.");
    }
}
