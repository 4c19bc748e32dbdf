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
    /// arc length along the polyline through all images (ends fixed). The path is evaluated at evenly spaced t:
    /// phi(t) for Bezier, the arc-length parametrized polyline for the string. Barrier = max_t loss - max(loss(A),
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
        if (o.Method == PathMethod.String && o.Images < 1) throw new LossLandscapeException($"The string needs at least one interior image; got {o.Images}.");
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
            nodes = o.Method == PathMethod.Bezier
                ? TrainBezier(probe, a, b, o, rng, plan, trainingLoss)
                : RunString(probe, a, b, o, rng, plan, trainingLoss);
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
        return new PathResult(o.Method == PathMethod.Bezier ? "bezier" : "string", probe.PolicyName, probe.Options.Loss.Name, line, path,
            Barriers.AboveHigherEnd(line.Select(p => p.Loss).ToList()), Barriers.AboveHigherEnd(path.Select(p => p.Loss).ToList()), trainingLoss, nodes);
    }

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
