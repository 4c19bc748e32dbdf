using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Losses;
using LossLandscape.Plotting;
using LossLandscape.Spectra;
using LossLandscape.Specs;
using LossLandscape.Training;
using static TorchSharp.torch;

namespace LossLandscape.Figures;

/// <summary>
/// Figure O (slides 29-30): the Gauss-Newton decomposition of the Hessian, H = G + R with
/// G = (1/P) sum_i J_i^T l''_i J_i and R = (1/P) sum_i sum_c (dl/ds_c)_i d^2 f_c / dw^2, for MSE, hinge and NLL
/// (cross-entropy), near a minimum: the spectra of H, G and R side by side (top eigenvalues by Lanczos, densities by
/// stochastic Lanczos quadrature). The outliers are carried by G; R is small (Sagun et al. 2017; Papyan 2019).
/// </summary>
/// <remarks>
/// One MLP per loss, trained with SGD from the same initialization. The operators run over the first
/// <c>curvature examples</c> of the normalized training set. R is indefinite, so its largest and smallest eigenvalues
/// are both computed and |R| = max(|lambda_max(R)|, |lambda_min(R)|) is compared with lambda_max(H). The multi-class
/// hinge loss is piecewise linear in the output, so l'' = 0 and G = 0: for it H = R exactly (reported, not a claim).
/// </remarks>
public sealed class FigureO : Figure
{
    /// <inheritdoc />
    public override string Id => "O";

    /// <inheritdoc />
    public override string Title => "Gauss-Newton decomposition H = G + R for MSE, hinge and NLL";

    /// <inheritdoc />
    public override string Slides => "29-30";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        string model = context.Pick("mlp:784-16-10", "mlp:784-32-10", "mlp:784-128-10", "mlp:784-500-300-10");
        long trainCount = context.Pick(500L, 2000L, 10000L, 60000L);
        long steps = context.Pick(200L, 1000L, 4000L, 20000L);
        long curvatureExamples = context.Pick(100L, 500L, 2000L, 5000L);
        int top = context.Pick(5, 12, 20, 40);
        int densitySteps = context.Pick(15, 40, 80, 90);
        int probes = context.Pick(1, 2, 3, 10);
        var losses = new[] { ("ce", 0.1), ("mse", 0.05), ("hinge", 0.05) };

        using var split = SbLbSupport.LoadSubsets(context, "mnist", trainCount, context.Pick(300L, 1000L, 2000L, 10000L));
        using var data = new TrainingRun(model, new TrainingOptions()).PrepareData(split, context.Device);
        var rows = new List<IReadOnlyList<object>>();
        var densityRows = new List<IReadOnlyList<object>>();
        var summary = new Dictionary<string, object>();
        var numbers = new List<(string, string, string?)>
        {
            ("setting", string.Create(CultureInfo.InvariantCulture, $"{model}, {trainCount} training examples, SGD batch 64, {steps} steps; operators on {curvatureExamples} examples; top {top} by Lanczos, densities {probes} probe(s) x {densitySteps} steps"),
                "Sagun 2017 / Papyan 2019: about C outliers carried by G"),
        };
        bool claim = true;
        var trainAccuracies = new List<(string, double)>();
        var topResiduals = new List<(string, double)>();
        var inv = CultureInfo.InvariantCulture;
        foreach (var (name, lr) in losses)
        {
            var options = new TrainingRun(model, new TrainingOptions { Loss = LossSpec.Parse(name), BatchSize = 64, LearningRate = lr, Steps = steps, Seed = context.Seed, ChunkSize = 2000 });
            using var run = context.Train(name, options, data);
            var loss = LossSpec.Parse(name);
            var copts = new CurvatureOptions(BatchSize: curvatureExamples, Subset: curvatureExamples);
            var ops = new (string Name, CurvatureOperator Op)[]
            {
                ("H", new HessianOperator(run.Model, loss, data.Train, copts)),
                ("G", new GaussNewtonOperator(run.Model, loss, data.Train, copts)),
                ("R", new ResidualOperator(run.Model, loss, data.Train, copts)),
            };
            var eig = new Dictionary<string, EigenResult>();
            var dens = new Dictionary<string, SpectralDensityResult>();
            int maxIt = Math.Max(2 * top + 20, context.Pick(25, 50, 80, 150));
            foreach (var (opName, op) in ops)
            {
                bool g0 = opName == "G" && name == "hinge";
                string problem = $"{name} {opName} on {op.Examples} examples";
                eig[opName] = Lanczos.Run(op, new LanczosOptions(Top: top, Bottom: opName == "R" ? top : 0, Tolerance: 1e-4, MaxIterations: opName == "R" ? 2 * maxIt : maxIt, Seed: context.Seed,
                    Checkpoint: context.SpectrumCheckpoint($"{name}-{opName}", run.Model, problem)));
                // One broadening for all three (that of H, set by H's spectral range), so the densities compare.
                double? sigma = dens.TryGetValue("H", out var hd) ? hd.Sigma : null;
                if (!g0) dens[opName] = SpectralDensity.Estimate(op, new SpectralDensityOptions(Probes: probes, Steps: densitySteps, Sigma: sigma, GridPoints: 600, Seed: context.Seed,
                    Checkpoint: context.SpectrumCheckpoint($"{name}-{opName}-density", run.Model, problem)));
            }
            double hTop = eig["H"].Eigenvalues[0], gTop = eig["G"].Eigenvalues[0];
            double rAbs = Math.Max(Math.Abs(eig["R"].Eigenvalues[0]), Math.Abs(eig["R"].Bottom[0]));
            // Top-k agreement of G with H, relative to lambda_1(H).
            int outlierCount = SbLbSupport.Threshold(eig["H"].Eigenvalues).Outliers;
            double topAgreement = Enumerable.Range(0, outlierCount).Max(i => Math.Abs(eig["H"].Eigenvalues[i] - eig["G"].Eigenvalues[i])) / hTop;
            context.Log(string.Create(inv, $"{name}: lambda_max H {hTop:G4}, G {gTop:G4}, |R| {rAbs:G4}; {outlierCount} outliers"));
            for (int i = 0; i < top; i++)
                rows.Add(new object[] { name, i + 1, eig["H"].Eigenvalues[i], eig["G"].Eigenvalues[i], eig["R"].Eigenvalues[i], eig["R"].Bottom[i] });
            foreach (var (opName, d) in dens)
                for (int i = 0; i < d.Grid.Length; i++)
                    densityRows.Add(new object[] { name, opName, d.Grid[i], d.Density[i] });

            var ranks = Enumerable.Range(1, top).Select(i => (double)i).ToArray();
            Charts.Lines(new[]
            {
                new Series("H (Hessian)", ranks, eig["H"].Eigenvalues, Markers: true, Color: 0),
                new Series("G (Gauss-Newton)", ranks, eig["G"].Eigenvalues, Markers: true, Color: 1),
                new Series("R top", ranks, eig["R"].Eigenvalues, Markers: true, Color: 2),
                new Series("R bottom", ranks, eig["R"].Bottom, Markers: true, Color: 3),
            }, new ChartOptions(context.PlotTitle($"{LossTitle(name)}: top eigenvalues of H, G, R"), "order of largest eigenvalues", "eigenvalue"),
                context.PathOf($"top-{name}.png"), context.PathOf($"top-{name}.svg"));
            Charts.Lines(dens.Select((kv, i) => new Series(kv.Key, kv.Value.Grid, kv.Value.Density.Select(v => Math.Max(v, 1e-8)).ToArray(),
                    Color: kv.Key == "H" ? 0 : kv.Key == "G" ? 1 : 2)).ToList(),
                new ChartOptions(context.PlotTitle($"{LossTitle(name)}: spectral densities of H, G, R"), "eigenvalue", "density (floored at 1e-8)", LogY: true),
                context.PathOf($"density-{name}.png"), context.PathOf($"density-{name}.svg"));

            summary[name] = new
            {
                train = run.Result.History[^1],
                top = eig.ToDictionary(kv => kv.Key, kv => new { kv.Value.Eigenvalues, kv.Value.Bottom, kv.Value.Converged, kv.Value.Iterations }),
                lambdaMaxH = hTop,
                lambdaMaxG = gTop,
                absR = rAbs,
                outliers = outlierCount,
                outlierAgreement = topAgreement,
                traces = dens.ToDictionary(kv => kv.Key, kv => kv.Value.TraceEstimate),
            };
            numbers.Add(($"{name}: lambda_max of H / G / |R|", string.Create(inv, $"{hTop:G4} / {gTop:G4} / {rAbs:G3}"), name == "hinge" ? "G = 0 for a piecewise-linear loss: H = R" : "outliers from G, R small"));
            numbers.Add(($"{name}: outliers of H; max |lambda_i(H) - lambda_i(G)| / lambda_1(H) over them", string.Create(inv, $"{outlierCount}; {topAgreement:G3}"), name == "hinge" ? null : "about C = 10 outliers"));
            numbers.Add(($"{name}: final train / test accuracy", string.Create(inv, $"{100 * (run.Result.History[^1].TrainAccuracy ?? 0):F1}% / {100 * (run.Result.History[^1].TestAccuracy ?? 0):F1}%"), null));
            if (name is "ce" or "mse")
            {
                claim &= topAgreement < 0.2 && rAbs < 0.5 * hTop;
                trainAccuracies.Add((name, 100 * (run.Result.History[^1].TrainAccuracy ?? double.NaN)));
                topResiduals.Add(($"{name} H", eig["H"].Residuals[0] / hTop));
                topResiduals.Add(($"{name} G", eig["G"].Residuals[0] / Math.Abs(gTop)));
            }
        }
        context.WriteCsv("top-eigenvalues.csv", new[] { "loss", "order", "H", "G", "R_top", "R_bottom" }, rows);
        context.WriteCsv("densities.csv", new[] { "loss", "operator", "eigenvalue", "density" }, densityRows);
        context.WriteJson("summary.json", summary);
        // "R is small near a minimum": the nets must be trained, and the top eigenvalues compared must be resolved.
        return new FigureOutcome(claim, "for ce and mse the Gauss-Newton part carries the outliers (top eigenvalues of G within 20% of H's) and |R| < lambda_max(H) / 2", numbers,
            new[]
            {
                Precondition.AllAtLeast("train accuracy (%)", trainAccuracies, 90),
                Precondition.AllAtMost("residual of the top Ritz pair / its eigenvalue", topResiduals, 0.01),
            });
    }

    private static string LossTitle(string name) => name switch
    {
        "ce" => "NLL (cross-entropy)",
        "mse" => "MSE",
        _ => "hinge",
    };
}
