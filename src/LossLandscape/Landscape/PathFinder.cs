using System.Text.Json.Serialization;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>Finds low-loss paths between two minima with fixed ends (<see cref="PathMethod"/>).</summary>
public static class PathFinder
{
    /// <summary>
    /// Searches a path from <paramref name="a"/> to <paramref name="b"/> and measures it and the straight line.
    /// </summary>
    /// <remarks>
    /// Bezier: each step samples t ~ U(0, 1), sets theta = phi(t), computes g = dL/dtheta on a minibatch and updates M
    /// with Adam on dL/dM = 2 t (1 - t) g. M starts at (A + B)/2. String: images theta_1..theta_N start evenly on the
    /// line; each step sets theta_i &lt;- theta_i - lr g(theta_i) for the interior images, then redistributes them at equal
    /// arc length along the polyline through all images (ends fixed). AutoNEB: pivots start as A, (A + B)/2, B; cycle c
    /// of C runs Steps / C steps of torch.optim.SGD (momentum 0.9, learning rate lr * decay^c) on every interior pivot
    /// with the nudged force g - (g . tau) tau, tau the unit tangent (theta_{i+1} - theta_{i-1}) / |...| (the gradient's
    /// component along the band is removed, no spring: the pivots keep their places along the band to first order);
    /// after every cycle but the last, the loss on the training data at u = 1/4, 1/2, 3/4 of each segment is compared
    /// with the segment's ends, and a pivot is inserted at the highest such point of the segments that rise most above
    /// their ends, up to Images interior pivots spread over the cycles. The path is evaluated at evenly spaced t:
    /// phi(t) for Bezier, the arc-length parametrized polyline through the images or pivots otherwise. Barrier = max_t loss - max(loss(A),
    /// loss(B)). Models with BatchNorm train in train mode (batch statistics) when the policy is recompute.
    /// The model ends with its original parameters and buffers.
    /// </remarks>
    /// <exception cref="LossLandscapeException">Bad options or end points.</exception>
    public static PathResult Connect(LandscapeProbe probe, Tensor a, Tensor b, PathOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var o = options ?? new PathOptions();
        PlaneBasis.Check(probe.Space, a, nameof(a));
        PlaneBasis.Check(probe.Space, b, nameof(b));
        if (o.Steps < 0) throw new LossLandscapeException($"Steps must be 0 or more; got {o.Steps}.");
        if (!(o.LearningRate > 0) || !double.IsFinite(o.LearningRate)) throw new LossLandscapeException($"Learning rate must be positive; got {o.LearningRate}.");
        if (o.EvaluationPoints < 2) throw new LossLandscapeException($"The path needs at least 2 evaluation points; got {o.EvaluationPoints}.");
        if (o.Method is PathMethod.String or PathMethod.AutoNeb && o.Images < 1)
            throw new LossLandscapeException($"The {(o.Method == PathMethod.String ? "string needs at least one interior image" : "AutoNEB band needs room for at least one interior pivot")}; got {o.Images}.");
        if (o.Method == PathMethod.AutoNeb && o.Cycles < 1) throw new LossLandscapeException($"AutoNEB needs at least one cycle; got {o.Cycles}.");
        if (o.Method == PathMethod.AutoNeb && !(o.CycleDecay > 0 && o.CycleDecay <= 1)) throw new LossLandscapeException($"The AutoNEB cycle decay must be in (0, 1]; got {o.CycleDecay}.");
        if (o.BatchSize is long bs && bs < 1) throw new LossLandscapeException($"Batch size must be at least 1; got {bs}.");
        if (probe.Policy == BatchNormPolicy.InterpolateStatistics)
            throw new LossLandscapeException("BatchNorm policy 'interpolate' is not defined along a curved path; choose eval or recompute.");

        var space = probe.Space;
        var rng = new Random(o.Seed);
        using var plan = BatchPlan.Sampled(o.Seed);
        var ts = Alphas.Linspace(0, 1, o.EvaluationPoints);
        var trainingLoss = new List<double>(o.Steps);
        Tensor[] nodes;
        using (space.Preserve())
        {
            nodes = o.Method switch
            {
                PathMethod.Bezier => TrainBezier(probe, a, b, o, rng, plan, trainingLoss),
                PathMethod.String => RunString(probe, a, b, o, rng, plan, trainingLoss),
                _ => RunAutoNeb(probe, a, b, o, rng, plan, trainingLoss),
            };
        }

        var line = new List<PathPoint>();
        var path = new List<PathPoint>();
        using (space.Preserve())
        {
            foreach (var t in ts)
            {
                using (var scope = NewDisposeScope()) space.Set(LandscapeProbe.Combine(a, b, t));
                line.Add(ToPoint(t, probe.MeasureCurrent()));
                using (var scope = NewDisposeScope())
                    space.Set(o.Method == PathMethod.Bezier ? Bezier(nodes[0], nodes[1], nodes[2], t) : Polyline(nodes, t));
                path.Add(ToPoint(t, probe.MeasureCurrent()));
            }
        }
        return new PathResult(MethodName(o.Method), probe.PolicyName, probe.Options.Loss.Name, line, path,
            Barriers.AboveHigherEnd(line.Select(p => p.Loss).ToList()), Barriers.AboveHigherEnd(path.Select(p => p.Loss).ToList()), trainingLoss, nodes);
    }

    /// <summary>
    /// Connects every pair of <paramref name="minima"/> with <see cref="Connect"/> and returns the minimum spanning tree of
    /// the saddle losses S[i, j] = max_t loss(path_ij(t)) (the diagonal: each minimum's own loss), as Draxler et al. 2018
    /// do for N minima. Runs N (N - 1) / 2 path searches.
    /// </summary>
    /// <exception cref="LossLandscapeException">Fewer than two minima, or what <see cref="Connect"/> refuses.</exception>
    public static SaddleTree ConnectAll(LandscapeProbe probe, IReadOnlyList<Tensor> minima, PathOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(minima);
        if (minima.Count < 2) throw new LossLandscapeException($"A saddle tree needs at least two minima; got {minima.Count}.");
        int n = minima.Count;
        var s = new double[n, n];
        for (int i = 0; i < n; i++) s[i, i] = probe.MeasureAt(minima[i]).Loss;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                using var r = Connect(probe, minima[i], minima[j], options);
                s[i, j] = s[j, i] = r.Path.Max(p => p.Loss);
            }
        return SaddleTree.Build(s);
    }

    /// <summary>The method's name in results: <c>bezier</c>, <c>string</c> or <c>autoneb</c>.</summary>
    public static string MethodName(PathMethod method) => method switch
    {
        PathMethod.Bezier => "bezier",
        PathMethod.String => "string",
        PathMethod.AutoNeb => "autoneb",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>phi(t) = (1 - t)^2 A + 2 t (1 - t) M + t^2 B (exactly A at t = 0 and B at t = 1).</summary>
    public static Tensor Bezier(Tensor a, Tensor m, Tensor b, double t)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(b);
        if (t == 0) return a.clone();
        if (t == 1) return b.clone();
        return a.mul((1 - t) * (1 - t)).add_(m, alpha: 2 * t * (1 - t)).add_(b, alpha: t * t);
    }

    /// <summary>The point at normalized arc length <paramref name="t"/> of the polyline through <paramref name="nodes"/>.</summary>
    public static Tensor Polyline(IReadOnlyList<Tensor> nodes, double t)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count < 2) throw new LossLandscapeException("A polyline needs at least two nodes.");
        if (t <= 0) return nodes[0].clone();
        if (t >= 1) return nodes[^1].clone();
        var cum = CumulativeLengths(nodes);
        double total = cum[^1];
        if (total == 0) return nodes[0].clone();
        double s = t * total;
        int k = 1;
        while (k < cum.Length - 1 && cum[k] < s) k++;
        double seg = cum[k] - cum[k - 1];
        double u = seg > 0 ? (s - cum[k - 1]) / seg : 0;
        return LandscapeProbe.Combine(nodes[k - 1], nodes[k], u);
    }

    private static double[] CumulativeLengths(IReadOnlyList<Tensor> nodes)
    {
        var cum = new double[nodes.Count];
        for (int i = 1; i < nodes.Count; i++)
        {
            using var scope = NewDisposeScope();
            cum[i] = cum[i - 1] + ParameterSpace.Norm(nodes[i] - nodes[i - 1]);
        }
        return cum;
    }

    private static PathPoint ToPoint(double t, PointMeasure m) => new(t, m.Loss, m.Accuracy, m.TestLoss, m.TestAccuracy);

    private static Tensor[] TrainBezier(LandscapeProbe probe, Tensor a, Tensor b, PathOptions o, Random rng, BatchPlan plan, List<double> losses)
    {
        var space = probe.Space;
        // The middle control point is the only trainable quantity: torch.optim.Adam on it, with the gradient of the
        // loss at the sampled point of the curve, dL/dm = 2 t (1 - t) grad L(phi(t)).
        var m = new TorchSharp.Modules.Parameter(a.add(b).mul_(0.5).DetachFromDisposeScope());
        using var adam = torch.optim.Adam(new[] { m }, o.LearningRate);
        for (int step = 1; step <= o.Steps; step++)
        {
            using var scope = NewDisposeScope();
            double t = rng.NextDouble();
            using (no_grad()) space.Set(Bezier(a, m, b, t));
            var (loss, g) = LossAndGradient(probe, o.BatchSize, plan);
            losses.Add(loss);
            m.grad = g.mul(2 * t * (1 - t));
            adam.step();
        }
        Tensor middle;
        using (NewDisposeScope()) middle = m.detach().clone().DetachFromDisposeScope();
        m.Dispose();
        return new[] { a.clone().DetachFromDisposeScope(), middle, b.clone().DetachFromDisposeScope() };
    }

    private static Tensor[] RunString(LandscapeProbe probe, Tensor a, Tensor b, PathOptions o, Random rng, BatchPlan plan, List<double> losses)
    {
        var space = probe.Space;
        int n = o.Images + 2;
        var nodes = new Tensor[n];
        for (int i = 0; i < n; i++) nodes[i] = LandscapeProbe.Combine(a, b, (double)i / (n - 1)).DetachFromDisposeScope();
        for (int step = 0; step < o.Steps; step++)
        {
            double sum = 0;
            for (int i = 1; i < n - 1; i++)
            {
                using var scope = NewDisposeScope();
                space.Set(nodes[i]);
                var (loss, g) = LossAndGradient(probe, o.BatchSize, plan);
                sum += loss;
                using (no_grad()) nodes[i].add_(g, alpha: -o.LearningRate);
            }
            losses.Add(sum / (n - 2));
            Reparametrize(nodes);
        }
        return nodes;
    }

    private static Tensor[] RunAutoNeb(LandscapeProbe probe, Tensor a, Tensor b, PathOptions o, Random rng, BatchPlan plan, List<double> losses)
    {
        var space = probe.Space;
        var pivots = new List<Tensor>
        {
            a.clone().DetachFromDisposeScope(), LandscapeProbe.Combine(a, b, 0.5).DetachFromDisposeScope(), b.clone().DetachFromDisposeScope(),
        };
        int steps = o.Steps / o.Cycles, extra = o.Steps % o.Cycles;
        for (int cycle = 0; cycle < o.Cycles; cycle++)
        {
            // The interior pivots become the optimizer's parameters for this cycle (a fresh SGD: the rate drops each cycle).
            var interior = new TorchSharp.Modules.Parameter[pivots.Count - 2];
            for (int i = 1; i < pivots.Count - 1; i++)
            {
                var old = pivots[i];
                interior[i - 1] = new TorchSharp.Modules.Parameter(old);
                old.Dispose();   // the parameter holds the values now (a handle of its own, or this one's moved)
                pivots[i] = interior[i - 1];
            }
            using (var sgd = torch.optim.SGD(interior, o.LearningRate * Math.Pow(o.CycleDecay, cycle), momentum: 0.9))
            {
                for (int step = 0; step < steps + (cycle < extra ? 1 : 0); step++)
                {
                    double sum = 0;
                    for (int i = 1; i < pivots.Count - 1; i++)
                    {
                        using var scope = NewDisposeScope();
                        space.Set(pivots[i]);
                        var (loss, g) = LossAndGradient(probe, o.BatchSize, plan);
                        sum += loss;
                        using (no_grad())
                        {
                            var tau = pivots[i + 1] - pivots[i - 1];
                            double norm = ParameterSpace.Norm(tau);
                            if (norm > 0) g = g.add(tau, alpha: -ParameterSpace.Dot(g, tau) / (norm * norm));
                        }
                        interior[i - 1].grad = g;   // the parameter keeps the gradient; this wrapper goes with the scope
                    }
                    losses.Add(sum / (pivots.Count - 2));
                    sgd.step();
                    foreach (var p in interior) p.grad = null;
                }
            }
            for (int i = 1; i < pivots.Count - 1; i++)
            {
                using (NewDisposeScope()) pivots[i] = interior[i - 1].detach().clone().DetachFromDisposeScope();
                interior[i - 1].Dispose();
            }
            if (cycle + 1 < o.Cycles && pivots.Count - 2 < o.Images)
            {
                int room = o.Images - (pivots.Count - 2);
                int insert = (int)Math.Ceiling((double)room / (o.Cycles - 1 - cycle));
                InsertPivots(probe, pivots, insert);
            }
        }
        return pivots.ToArray();
    }

    /// <summary>
    /// Inserts up to <paramref name="count"/> pivots, one per segment, at the highest of u = 1/4, 1/2, 3/4 on the segments
    /// whose highest point rises most above the higher of their two ends (segments that do not rise get none).
    /// </summary>
    private static void InsertPivots(LandscapeProbe probe, List<Tensor> pivots, int count)
    {
        var space = probe.Space;
        var ends = pivots.Select(p => TrainLoss(probe, p)).ToArray();
        var candidates = new List<(int Segment, double Rise, double U)>();
        for (int i = 0; i + 1 < pivots.Count; i++)
        {
            (double Loss, double U) top = (double.NegativeInfinity, 0.5);
            foreach (var u in new[] { 0.25, 0.5, 0.75 })
            {
                using var scope = NewDisposeScope();
                double l = TrainLoss(probe, LandscapeProbe.Combine(pivots[i], pivots[i + 1], u));
                if (l > top.Loss) top = (l, u);
            }
            double rise = top.Loss - Math.Max(ends[i], ends[i + 1]);
            if (rise > 0) candidates.Add((i, rise, top.U));
        }
        foreach (var (segment, _, u) in candidates.OrderByDescending(c => c.Rise).Take(count).OrderByDescending(c => c.Segment))
            pivots.Insert(segment + 1, LandscapeProbe.Combine(pivots[segment], pivots[segment + 1], u).DetachFromDisposeScope());
    }

    /// <summary>The training loss at <paramref name="theta"/> in the mode the path search trains in (batch statistics for BatchNorm under recompute); the weights are left at theta.</summary>
    private static double TrainLoss(LandscapeProbe probe, Tensor theta)
    {
        var model = probe.Model;
        probe.Space.Set(theta);
        bool trainMode = probe.Policy == BatchNormPolicy.Recompute && BatchNorms.HasBatchNorm(model);
        using var mode = ModelStateScope.EnterMode(model, trainMode);
        return new Objective(model, probe.Options.Loss, probe.Train, probe.Space).Value();
    }

    /// <summary>Moves the interior nodes to equal arc length along the current polyline (ends fixed).</summary>
    private static void Reparametrize(Tensor[] nodes)
    {
        int n = nodes.Length;
        var fresh = new Tensor[n];
        for (int i = 1; i < n - 1; i++) fresh[i] = Polyline(nodes, (double)i / (n - 1)).DetachFromDisposeScope();
        for (int i = 1; i < n - 1; i++)
        {
            nodes[i].Dispose();
            nodes[i] = fresh[i];
        }
    }

    /// <summary>
    /// Loss and flat gradient at the current weights on a minibatch of <paramref name="batchSize"/> examples drawn
    /// without replacement from the whole training set (uniformly, so sorted data give no biased window), or on the whole
    /// training set in chunks.
    /// </summary>
    internal static (double Loss, Tensor Gradient) LossAndGradient(LandscapeProbe probe, long? batchSize, BatchPlan plan)
    {
        var model = probe.Model;
        var data = probe.Train;
        bool trainMode = probe.Policy == BatchNormPolicy.Recompute && BatchNorms.HasBatchNorm(model);
        using var mode = ModelStateScope.EnterMode(model, trainMode);
        if (batchSize is long bs && bs < data.Count)
        {
            using var scope = NewDisposeScope();
            var (x, y) = plan.NextBatch(data, bs);
            var (l, g) = new Objective(model, probe.Options.Loss, BatchSource.FromTensors(x, y, bs, data.Name), probe.Space).ValueAndGradient();
            return (l, g.MoveToOuterDisposeScope());
        }
        return new Objective(model, probe.Options.Loss, data, probe.Space).ValueAndGradient();
    }
}
