using System.Globalization;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Runtime;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure M (slide 27, Xing et al. 2018, "A walk with SGD"): SGD vs gradient descent plus isotropic Gaussian noise of
/// the same size, started from the same point: the loss along consecutive iterates, the distance travelled and the
/// distance from the start differ, because SGD's noise is not isotropic.
/// </summary>
/// <remarks>
/// Matching the noise: at the start theta_0 the full gradient g and K minibatch gradients g_k (batch B, drawn without
/// replacement) give the SGD noise size E|g_B - g|^2 ~ (1/K) sum_k |g_k - g|^2 = tr(C_B), C_B the minibatch-gradient
/// covariance. Isotropic noise sigma xi, xi ~ N(0, I_D), has E|sigma xi|^2 = sigma^2 D, so sigma = sqrt(tr(C_B) / D)
/// (norm-matched: the same expected squared noise norm, i.e. the same per-coordinate variance on average).
/// Updates, same learning rate eta for all three runs: SGD theta' = theta - eta g_B(theta); noisy GD theta' = theta -
/// eta (g(theta) + sigma xi); plain GD theta' = theta - eta g(theta) as the reference.
/// Statistics per step t: the full-batch training loss L(theta_t) (the loss along consecutive iterates), the step norm
/// |theta_{t+1} - theta_t|, the distance travelled sum_s |theta_{s+1} - theta_s| and the distance from the start
/// |theta_t - theta_0|; every few steps the loss on the segment theta_t -> theta_{t+1} at 5 points, and whether its
/// minimum lies strictly inside the segment, below both ends (the step crossed a valley floor, as Xing et al. describe
/// SGD bouncing between valley walls). The loop is written here with <see cref="ParameterSpace"/> (no trainer), so
/// every iterate is at hand. Full preset: CIFAR-10 (50k), the bare AlexNet-style net, lr 0.01, batch 100, 2000 steps.
/// Quick: 1000 Fashion-MNIST images, MLP 784-100-10, lr 0.1, batch 50, 300 steps. Smoke: 300 images, 784-32-10, 80 steps.
/// </remarks>
public sealed class FigureM : Figure
{
    /// <inheritdoc />
    public override string Id => "M";

    /// <inheritdoc />
    public override string Title => "GD + isotropic noise vs SGD with noise of matched size: trajectory statistics";

    /// <inheritdoc />
    public override string Slides => "27";

    private sealed record Trace(string Name, List<double> Loss, List<double> StepNorm, List<double> Travelled, List<double> FromStart, List<(long Step, double[] Segment)> Segments);

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        using var loaded = context.LoadData("cifar10");
        long n = context.Pick(300L, 1000L, 3000L, loaded.Train.Count);
        string spec = context.Pick("mlp:784-32-10", "mlp:784-100-10", "mlp:784-256-10", "alexnet-bare");
        double lr = context.Pick(0.1, 0.1, 0.01);
        int batch = context.Pick(50, 50, 100);
        int steps = context.Pick(80, 300, 1000, 2000);
        int segmentEvery = context.Pick(4, 5, 10, 20);
        int noiseBatches = context.Pick(20, 50, 100, 100);
        long chunk = context.Pick(1000L, 1000L, 2500L);
        var device = context.Device;
        using var train = (n < loaded.Train.Count ? loaded.Train.BalancedSubset(n, context.Seed) : loaded.Train.Take(loaded.Train.Count)).To(device, ScalarType.Float32);
        var loss = LossSpec.Parse("ce");

        TorchRuntime.Seed(context.Seed);
        using var model = ModelSpec.Parse(spec).Create(train.ExampleShape, train.NumClasses);
        model.to(device);
        model.train();
        var space = new ParameterSpace(model);
        using var theta0 = space.Get();
        long dims = space.Count;

        // Full-batch mean loss and (optionally) its gradient, accumulated over chunks with weights n_c / N.
        var objective = new Objective(model, loss, BatchSource.FromDataset(train, chunk), space);
        (double Loss, Tensor? Grad) Full(bool withGradient)
        {
            if (!withGradient) return (objective.Value(), null);
            model.zero_grad();
            double total = objective.Backward();
            return (total, space.Gradient());
        }
        Tensor MiniBatchGradient(Generator g)
        {
            model.zero_grad();
            using var scope = NewDisposeScope();
            var idx = randperm(train.Count, generator: g).narrow(0, 0, batch).to(device);
            loss.Mean(model.call(train.Inputs.index_select(0, idx)), train.Labels.index_select(0, idx)).backward();
            return space.Gradient().MoveToOuterDisposeScope();
        }

        // The SGD noise size at the start: sigma = sqrt(mean_k |g_k - g|^2 / D).
        space.Set(theta0);
        var (loss0, fullGrad0) = Full(true);
        double noiseSquared = 0;
        using (var g = new Generator((ulong)(context.Seed + 11)))
            for (int k = 0; k < noiseBatches; k++)
            {
                using var gk = MiniBatchGradient(g);
                using var diff = gk.sub(fullGrad0!);
                noiseSquared += Math.Pow(ParameterSpace.Norm(diff), 2) / noiseBatches;
            }
        double gradNorm0 = ParameterSpace.Norm(fullGrad0!);
        fullGrad0!.Dispose();
        double sigma = Math.Sqrt(noiseSquared / dims);
        context.Log($"start: loss {loss0:F4}, |g| {gradNorm0:G4}, E|g_B - g| {Math.Sqrt(noiseSquared):G4} over {noiseBatches} batches of {batch}, D = {dims}: sigma = {sigma:G4}");

        Trace RunOne(string name, Func<Generator, Tensor> update)
        {
            space.Set(theta0);
            var trace = new Trace(name, new(), new(), new() { 0 }, new() { 0 }, new());
            using var g = new Generator((ulong)(context.Seed + 101));
            for (int t = 0; t < steps; t++)
            {
                using var scope = NewDisposeScope();
                var before = space.Get();
                trace.Loss.Add(Full(false).Loss);
                var direction = update(g);
                var after = before.sub(direction.mul(lr));
                space.Set(after);
                double step = ParameterSpace.Norm(after.sub(before));
                trace.StepNorm.Add(step);
                trace.Travelled.Add(trace.Travelled[^1] + step);
                trace.FromStart.Add(ParameterSpace.Norm(after.sub(theta0)));
                if (t % segmentEvery == 0)
                {
                    var segment = new double[5];
                    for (int i = 0; i < 5; i++)
                    {
                        space.SetCombination(before, (i / 4.0, after.sub(before)));
                        segment[i] = Full(false).Loss;
                    }
                    space.Set(after);
                    trace.Segments.Add((t, segment));
                }
            }
            trace.Loss.Add(Full(false).Loss);
            context.Log($"{name}: loss {trace.Loss[0]:F4} -> {trace.Loss[^1]:F4}, travelled {trace.Travelled[^1]:G4}, from start {trace.FromStart[^1]:G4}");
            return trace;
        }

        var sgd = RunOne("SGD", MiniBatchGradient);
        var noisy = RunOne("GD + noise", g =>
        {
            var grad = Full(true).Grad!;
            return grad.add(randn(new[] { dims }, dtype: grad.dtype, generator: g).to(device), alpha: sigma);
        });
        var gd = RunOne("GD", _ => Full(true).Grad!);
        var traces = new[] { sgd, noisy, gd };

        // Statistics.
        static double Mean(IEnumerable<double> v) => v.Average();
        double LateLoss(Trace t) => Mean(t.Loss.Skip(t.Loss.Count / 2));
        double Rises(Trace t) => (double)t.Loss.Zip(t.Loss.Skip(1)).Count(p => p.Second > p.First) / (t.Loss.Count - 1);
        double Crossings(Trace t) => (double)t.Segments.Count(s => s.Segment.Skip(1).Take(3).Min() < Math.Min(s.Segment[0], s.Segment[4])) / t.Segments.Count;
        var stats = traces.Select(t => new
        {
            run = t.Name,
            firstLoss = t.Loss[0],
            finalLoss = t.Loss[^1],
            meanLossSecondHalf = LateLoss(t),
            fractionOfStepsRaisingLoss = Rises(t),
            meanStepNorm = Mean(t.StepNorm),
            firstStepNorm = t.StepNorm[0],
            distanceTravelled = t.Travelled[^1],
            distanceFromStart = t.FromStart[^1],
            straightness = t.FromStart[^1] / t.Travelled[^1],
            valleyCrossingFraction = Crossings(t),
        }).ToList();

        var x = Enumerable.Range(0, steps + 1).Select(i => (double)i).ToArray();
        Charts.Lines(traces.Select((t, i) => new Series(t.Name, x, t.Loss.ToArray(), Color: i)).ToList(),
            new ChartOptions(context.PlotTitle($"training loss along the iterates, {spec}, lr {lr}, B {batch}, sigma {sigma:G3}"), "step", "full-batch training loss (log scale)", LogY: true),
            context.PathOf("loss.png"), context.PathOf("loss.svg"));
        var dist = new List<Series>();
        for (int i = 0; i < traces.Length; i++)
        {
            dist.Add(new Series($"{traces[i].Name}: distance from start", x, traces[i].FromStart.ToArray(), Color: i));
            dist.Add(new Series($"{traces[i].Name}: distance travelled", x, traces[i].Travelled.ToArray(), Dashed: true, Color: i));
        }
        Charts.Lines(dist, new ChartOptions(context.PlotTitle("distance from the start and distance travelled"), "step", "|theta_t - theta_0| and sum of step norms"),
            context.PathOf("distance.png"), context.PathOf("distance.svg"));
        // Loss along a few consecutive-iterate segments of SGD and of noisy GD (late in training).
        var seg = new List<Series>();
        var alphas = new[] { 0, 0.25, 0.5, 0.75, 1 };
        foreach (var (t, color) in new[] { (sgd, 0), (noisy, 1) })
            foreach (var (s, k) in t.Segments.TakeLast(3).Select((s, k) => (s, k)))
                seg.Add(new Series(k == 0 ? $"{t.Name} (last segments)" : "", alphas.Select(a => s.Step + a).ToArray(), s.Segment, Color: color));
        Charts.Lines(seg, new ChartOptions(context.PlotTitle("loss on segments between consecutive iterates"), "step (segment theta_t -> theta_t+1)", "full-batch training loss"),
            context.PathOf("segments.png"), context.PathOf("segments.svg"));

        context.WriteCsv("trajectories.csv", new[] { "run", "step", "loss", "step_norm", "travelled", "from_start" },
            traces.SelectMany(t => Enumerable.Range(0, steps + 1).Select(i => (IReadOnlyList<object>)new object[]
                { t.Name, i, t.Loss[i], i < steps ? t.StepNorm[i] : double.NaN, t.Travelled[i], t.FromStart[i] })));
        context.WriteCsv("segments.csv", new[] { "run", "step", "a0", "a0.25", "a0.5", "a0.75", "a1" },
            traces.SelectMany(t => t.Segments.Select(s => (IReadOnlyList<object>)new object[] { t.Name, s.Step, s.Segment[0], s.Segment[1], s.Segment[2], s.Segment[3], s.Segment[4] })));
        context.WriteJson("summary.json", new
        {
            data = context.DataName,
            model = spec,
            trainExamples = train.Count,
            parameters = dims,
            learningRate = lr,
            batch,
            steps,
            noiseBatches,
            startLoss = loss0,
            startGradientNorm = gradNorm0,
            sgdNoiseNorm = Math.Sqrt(noiseSquared),
            sigma,
            runs = stats,
        });

        var s0 = stats[0];
        var s1 = stats[1];
        double Ratio(double a, double b) => a / b;
        double fromStartRatio = Ratio(s1.distanceFromStart, s0.distanceFromStart);
        double lateLossRatio = Ratio(s0.meanLossSecondHalf, s1.meanLossSecondHalf);
        double firstStepRatio = Ratio(s1.firstStepNorm, s0.firstStepNorm);
        double travelledRatio = Ratio(s0.distanceTravelled, s1.distanceTravelled);
        // "They differ", in the two statistics that separated the walks at every size we ran: SGD travels more than 10%
        // farther than noisy GD with noise of the same size, and raises the loss at more of its steps. (How often it
        // crosses valley floors is reported; at the quick size both walks cross about equally often.)
        bool differ = s0.fractionOfStepsRaisingLoss > s1.fractionOfStepsRaisingLoss
            && travelledRatio > 1.1;
        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        return new FigureOutcome(differ,
            "with noise of the same size, SGD and noisy GD walk differently: SGD travels more than 10% farther and raises the loss at more of its steps",
            new (string, string, string?)[]
            {
                ("setting", $"{spec} ({dims} parameters), {train.Count} train, lr {lr}, SGD batch {batch}, {steps} steps, same start", "Xing et al. 2018: SGD vs GD + isotropic noise of matched size"),
                ("SGD noise at the start: E|g_B - g| / |g| -> sigma per coordinate", $"{F(Math.Sqrt(noiseSquared))} / {F(gradNorm0)} -> {F(sigma)}", "matched size"),
                ("first step norm: noisy GD / SGD (matched in expectation)", $"{F(s1.firstStepNorm)} / {F(s0.firstStepNorm)}", "about 1"),
                ("distance from start: SGD / noisy GD / GD", $"{F(s0.distanceFromStart)} / {F(s1.distanceFromStart)} / {F(stats[2].distanceFromStart)}", "differ"),
                ("distance travelled: SGD / noisy GD / GD", $"{F(s0.distanceTravelled)} / {F(s1.distanceTravelled)} / {F(stats[2].distanceTravelled)}", "differ"),
                ("mean loss over the second half: SGD / noisy GD / GD", $"{F(s0.meanLossSecondHalf)} / {F(s1.meanLossSecondHalf)} / {F(stats[2].meanLossSecondHalf)}", "differ"),
                ("fraction of steps that raise the loss: SGD / noisy GD / GD", $"{F(s0.fractionOfStepsRaisingLoss)} / {F(s1.fractionOfStepsRaisingLoss)} / {F(stats[2].fractionOfStepsRaisingLoss)}", null),
                ("segments whose loss dips below both ends (valley crossings): SGD / noisy GD / GD", $"{F(s0.valleyCrossingFraction)} / {F(s1.valleyCrossingFraction)} / {F(stats[2].valleyCrossingFraction)}", "SGD bounces between valley walls"),
                ("ratios noisy GD / SGD: distance from start, first step; SGD / noisy GD: late loss, distance travelled", $"{F(fromStartRatio)}, {F(firstStepRatio)}; {F(lateLossRatio)}, {F(travelledRatio)}", null),
            },
            // Xing et al.'s comparison is at matched noise (first steps of equal size) over a walk long enough to count.
            new[]
            {
                Precondition.AtLeast("first step norm, noisy GD / SGD", firstStepRatio, 0.8),
                Precondition.AtMost("first step norm, noisy GD / SGD", firstStepRatio, 1.25),
                Precondition.AtLeast("steps", steps, 100),
            });
    }
}
