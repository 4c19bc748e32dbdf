using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LossLandscape.Curvature;
using LossLandscape.Spectra;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape spectrum</c>: extreme eigenvalues of the Hessian, Gauss-Newton or residual operator.</summary>
public sealed class SpectrumCommand : Command<SpectrumCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : ResumableCurvatureSettings
    {
        /// <summary>Top count.</summary>
        [CommandOption("--top <K>")]
        [Description("How many of the largest eigenvalues. Default: 1.")]
        [DefaultValue(1)]
        public int Top { get; init; } = 1;

        /// <summary>Bottom count.</summary>
        [CommandOption("--bottom <K>")]
        [Description("How many of the smallest eigenvalues. Default: 0.")]
        [DefaultValue(0)]
        public int Bottom { get; init; }

        /// <summary>Method.</summary>
        [CommandOption("--method <METHOD>")]
        [Description("lanczos (default: thick-restart Lanczos) or power (deflated power iteration, PyHessian's baseline).")]
        [DefaultValue("lanczos")]
        public string Method { get; init; } = "lanczos";

        /// <summary>Tolerance.</summary>
        [CommandOption("--tol <TOL>")]
        [Description("Convergence tolerance (relative). Default: 1e-4 in float32, 1e-8 in float64.")]
        public double? Tolerance { get; init; }

        /// <summary>Iteration limit.</summary>
        [CommandOption("--max-iter <N>")]
        [Description("Most Lanczos steps (or power iterations per eigenvalue). Default: automatic.")]
        public int? MaxIterations { get; init; }

        /// <summary>Basis size.</summary>
        [CommandOption("--basis <M>")]
        [Description("Lanczos basis size M: memory is M + 2 parameter vectors whatever the number of steps (thick restart). Default: max(2k + 1, 20) for k = top + bottom; full keeps every Lanczos vector.")]
        public string? Basis { get; init; }

        /// <summary>Repeats.</summary>
        [CommandOption("--repeats <R>")]
        [Description("Error bars: also compute the spectrum on R subsets of --subset N examples each (disjoint when R x N examples are there, else seeded random draws) and report per eigenvalue the mean, standard error and range beside the value on the whole data.")]
        public int? Repeats { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var method = settings.Method.Trim().ToLowerInvariant();
        if (method != "lanczos" && method != "power")
            throw new LossLandscapeException($"--method '{settings.Method}' is not valid: use lanczos or power.");
        if (settings.Top < 0 || settings.Bottom < 0)
            throw new LossLandscapeException($"--top ({settings.Top}) and --bottom ({settings.Bottom}) must not be negative.");
        int? basis = ParseBasis(settings.Basis);
        var reorth = settings.ReorthMode();
        if (method == "power" && (basis is not null || !string.IsNullOrWhiteSpace(settings.CheckpointDir)))
            throw new LossLandscapeException("--basis and --checkpoint-dir apply to --method lanczos; drop them or use lanczos.");
        if (settings.Repeats is int rep)
        {
            if (rep < 2) throw new LossLandscapeException($"--repeats {rep} is not valid: give at least 2 subsets (a standard error needs two).");
            if (settings.Subset is null) throw new LossLandscapeException("--repeats needs --subset N, the number of examples in each subset.");
        }
        string tag = CurvatureSession.Tag(settings);
        // Checkpoint folders are checked before the model and data are loaded.
        var wholeCheckpoint = settings.StateCheckpoint(settings.Repeats is null ? "run" : "whole", tag);
        using var session = CurvatureSession.Open(settings, wholeData: settings.Repeats is not null);
        var op = session.Operator;
        double tol = settings.Tolerance ?? (op.DType == ScalarType.Float64 ? 1e-8 : 1e-4);
        using var ctrlC = new CtrlC(cancellationToken);

        EigenResult Compute(ISymmetricOperator o, string label, CheckpointOptions? checkpoint)
        {
            using var status = new StatusLine();
            var progress = status.For<EigenProgress>(p => Status(label, method, p, tol));
            return method == "lanczos"
                ? Lanczos.Run(o, new LanczosOptions(settings.Top, settings.Bottom, tol, settings.MaxIterations, reorth, settings.Seed,
                    BasisSize: basis, Checkpoint: checkpoint), progress, ctrlC.Token)
                : PowerIteration.Run(o, new PowerIterationOptions(settings.Top, settings.Bottom, tol, settings.MaxIterations ?? 1000, settings.Seed), progress, ctrlC.Token);
        }

        // The subsets are drawn (and their size checked) before the long work starts.
        var subsets = settings.Repeats is int rr ? Subsets.Draw(session.Data.Count, settings.Subset!.Value, rr, settings.Seed) : null;
        var result = Compute(op, settings.Repeats is null ? "" : "whole data: ", wholeCheckpoint);
        SpectrumSpread? spread = null;
        if (settings.Repeats is int repeats && subsets is not null)
        {
            long size = settings.Subset!.Value;
            var runs = new List<EigenResult>();
            for (int r = 0; r < repeats; r++)
            {
                var checkpoint = settings.StateCheckpoint($"subset-{r + 1}", $"{tag}|subset {r + 1} of {repeats}, {size} examples, seed {settings.Seed}");
                using var indices = tensor(subsets.Indices[r], dtype: ScalarType.Int64);
                using var data = session.Data.Select(indices, $"{session.Data.Name} subset {r + 1}");
                runs.Add(Compute(session.On(data), $"subset {r + 1}/{repeats}: ", checkpoint));
            }
            spread = new SpectrumSpread(repeats, size, subsets.Disjoint,
                Spread.PerIndex(runs.Select(x => x.Eigenvalues).ToArray()), Spread.PerIndex(runs.Select(x => x.Bottom).ToArray()),
                runs.Select(x => x.Eigenvalues).ToArray(), runs.Select(x => x.Bottom).ToArray(),
                runs.Select(x => x.Converged).ToArray(), runs.Sum(x => x.Applications));
        }
        double loss = op.EvaluateLoss();
        var report = new SpectrumReport(op.Name, result.Method, result.Eigenvalues, result.Bottom, result.Residuals, result.BottomResiduals,
            result.Applications, result.Iterations, result.Converged, loss, op.Dimension, op.Examples, op.Options.BatchSize,
            op.DType == ScalarType.Float64 ? "float64" : "float32", watch.Elapsed.TotalSeconds)
        {
            BasisSize = result.Method == "lanczos" ? result.BasisSize : null,
            Restarts = result.Method == "lanczos" ? result.Restarts : null,
            Reorthogonalizations = result.Method == "lanczos" ? result.Reorthogonalizations : null,
            Reorthogonalization = result.Method == "lanczos" ? reorth.ToString().ToLowerInvariant() : null,
            Spread = spread,
        };
        SpectrumJson.Write(settings.Json, report);
        var inv = CultureInfo.InvariantCulture;
        AnsiConsole.WriteLine($"operator: {op.Name} ({op.Dimension} parameters, {op.Examples} examples, loss {loss.ToString("G8", inv)})");
        if (spread is null)
        {
            if (result.Eigenvalues.Length > 0) AnsiConsole.WriteLine($"top: {SpectrumJson.Format(result.Eigenvalues)}");
            if (result.Bottom.Length > 0) AnsiConsole.WriteLine($"bottom: {SpectrumJson.Format(result.Bottom)}");
        }
        else
        {
            AnsiConsole.WriteLine($"beside the whole data: {spread.Repeats} {(spread.Disjoint ? "disjoint" : "seeded random")} subsets of {spread.SubsetSize} examples (mean +- standard error, range)");
            void Table(string name, double[] whole, Spread[] s)
            {
                for (int i = 0; i < whole.Length; i++)
                    AnsiConsole.WriteLine(i < s.Length
                        ? $"{name} {i + 1,3}: {whole[i].ToString("G8", inv),14}   subsets {s[i].Mean.ToString("G6", inv)} +- {s[i].StandardError.ToString("G3", inv)}, [{s[i].Min.ToString("G6", inv)}, {s[i].Max.ToString("G6", inv)}]"
                        : $"{name} {i + 1,3}: {whole[i].ToString("G8", inv),14}");
            }
            Table("top", result.Eigenvalues, spread.Top);
            Table("bottom", result.Bottom, spread.Bottom);
        }
        string extra = result.Method == "lanczos"
            ? $" (basis {(result.BasisSize == 0 ? "full" : result.BasisSize.ToString(inv))}, {result.Restarts} restarts, {result.Reorthogonalizations} reorthogonalization passes)"
            : "";
        AnsiConsole.WriteLine($"{result.Method}: {result.Applications} applications{extra}, converged: {(result.Converged ? "yes" : "no")}, {report.Seconds.ToString("F2", inv)} s");
        return 0;
    }

    private static int? ParseBasis(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim().ToLowerInvariant();
        if (t == "full") return LanczosOptions.FullBasis;
        if (int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int m) && m >= 3) return m;
        throw new LossLandscapeException($"--basis '{text}' is not valid: give a number of vectors (at least k + 2) or full.");
    }

    /// <summary>The status line: applications, restarts and locked pairs, the leading Ritz values and the largest residual against the tolerance.</summary>
    internal static string Status(string label, string method, EigenProgress p, double tol)
    {
        var inv = CultureInfo.InvariantCulture;
        static string Values(double[] xs) => string.Join(" ", xs.Take(5).Select(x => x.ToString("G6", CultureInfo.InvariantCulture))) + (xs.Length > 5 ? " ..." : "");
        var text = $"{label}{method}: {p.Iteration} steps";
        if (method == "lanczos") text += $", {p.Restarts} restarts, {p.Locked} locked";
        if (p.Top.Length > 0) text += $"; top {Values(p.Top)}";
        if (p.Bottom.Length > 0) text += $"; bottom {Values(p.Bottom)}";
        var res = p.TopResiduals.Concat(p.BottomResiduals).ToArray();
        var scale = p.Top.Concat(p.Bottom).Select(Math.Abs).DefaultIfEmpty(1).Max();
        if (res.Length > 0) text += $"; residual {(res.Max() / Math.Max(scale, double.Epsilon)).ToString("G2", inv)} (tol {tol.ToString("G2", inv)})";
        return text;
    }
}

/// <summary>The spread of the spectrum over subsets of the data, in the spectrum JSON.</summary>
/// <param name="Repeats">R, the number of subsets.</param>
/// <param name="SubsetSize">N, examples per subset.</param>
/// <param name="Disjoint">The subsets are disjoint (else seeded random draws that may overlap).</param>
/// <param name="Top">Per top eigenvalue: mean, standard error, min, max over the subsets.</param>
/// <param name="Bottom">The same per bottom eigenvalue.</param>
/// <param name="TopPerSubset">The top eigenvalues of each subset.</param>
/// <param name="BottomPerSubset">The bottom eigenvalues of each subset.</param>
/// <param name="Converged">Whether each subset's run converged.</param>
/// <param name="Applications">Operator applications over all subsets.</param>
public sealed record SpectrumSpread(int Repeats, long SubsetSize, bool Disjoint, Spread[] Top, Spread[] Bottom,
    double[][] TopPerSubset, double[][] BottomPerSubset, bool[] Converged, long Applications);

/// <summary>The JSON written by <c>llscape spectrum</c>.</summary>
/// <param name="Operator">hessian, ggn or residual.</param>
/// <param name="Method">lanczos or power.</param>
/// <param name="Eigenvalues">Top eigenvalues, descending.</param>
/// <param name="Bottom">Bottom eigenvalues, ascending.</param>
/// <param name="Residuals">Residual norms of the top eigenpairs.</param>
/// <param name="BottomResiduals">Residual norms of the bottom eigenpairs.</param>
/// <param name="Applications">Operator applications.</param>
/// <param name="Iterations">Iterations.</param>
/// <param name="Converged">All requested eigenvalues met the tolerance.</param>
/// <param name="Loss">Mean loss over the examples.</param>
/// <param name="Parameters">Number of parameters the operator acts on.</param>
/// <param name="Examples">Number of examples.</param>
/// <param name="BatchSize">Batch size.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="Seconds">Wall-clock time of the whole command.</param>
public sealed record SpectrumReport(string Operator, string Method, double[] Eigenvalues, double[] Bottom, double[] Residuals, double[] BottomResiduals,
    long Applications, int Iterations, bool Converged, double Loss, long Parameters, long Examples, long BatchSize, string Dtype, double Seconds)
{
    /// <summary>Lanczos: basis size (0: full basis).</summary>
    public int? BasisSize { get; init; }

    /// <summary>Lanczos: thick restarts.</summary>
    public int? Restarts { get; init; }

    /// <summary>Lanczos: Gram-Schmidt passes against the whole basis.</summary>
    public int? Reorthogonalizations { get; init; }

    /// <summary>Lanczos: partial, full or none.</summary>
    public string? Reorthogonalization { get; init; }

    /// <summary>With --repeats: the spread over subsets of the data (null otherwise).</summary>
    public SpectrumSpread? Spread { get; init; }
}
