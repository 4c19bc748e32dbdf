using System.Diagnostics;
using System.Globalization;
using System.Text;
using LossLandscape.IO;

namespace LossLandscape.Figures;

/// <summary>
/// The figures program: <c>--list</c>, <c>ID [--quick | --medium | --full] [--data-dir DIR] [--out DIR]</c>, <c>all --quick</c>.
/// </summary>
/// <remarks>
/// Exit codes: 0 when every chosen figure ran and wrote its outputs, whatever its claim's verdict ("holds", "does not
/// hold" or "not established" are results, said in the summary and in claim.json, not failures: a small preset that
/// cannot establish a claim still runs correctly); 1 when a figure stopped with an error; 2 on bad usage.
/// </remarks>
public static class Program
{
    private const string Usage =
        "usage: LossLandscape.Figures --list\n" +
        "       LossLandscape.Figures ID|all [--quick | --medium | --full | --smoke] [--data-dir DIR] [--out DIR] [--seed N]\n" +
        "  ID is a figure letter (A-Q, see --list); all runs every figure. --quick (default) takes about 2 minutes per\n" +
        "  figure on a 2-core CPU on Fashion-MNIST; --medium at most about 15 minutes per figure (the paper's pipeline at\n" +
        "  CPU scale, the README's gallery); --full is the paper's setting (GPU, real CIFAR/MNIST); --smoke is the tiny\n" +
        "  size the tests use. Outputs go to --out (default: figures-out/ID). Interrupted runs resume where they stopped.\n" +
        "  Exit code 0 when every figure ran, whatever its claim's verdict (holds / does not hold / not established);\n" +
        "  1 when a figure failed with an error; 2 on bad usage.";

    /// <summary>All figures, in letter order (every concrete <see cref="Figure"/> in this assembly).</summary>
    public static IReadOnlyList<Figure> All { get; } = typeof(Figure).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(Figure).IsAssignableFrom(t))
        .Select(t => (Figure)Activator.CreateInstance(t)!)
        .OrderBy(f => f.Id, StringComparer.Ordinal)
        .ToList();

    /// <summary>Entry point; returns 0 on success, 1 on failure, 2 on bad usage.</summary>
    public static int Main(string[] args)
    {
        // Faster CPU steps: freed tensor memory is kept for the next step instead of being faulted in again.
        LossLandscape.Runtime.TorchRuntime.RetainFreedHostMemory();
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>Runs the program with the given writers (tests capture them).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "--list")
        {
            foreach (var f in All) stdout.WriteLine($"{f.Id}  {f.Title}  ({SlidesText(f)})");
            return 0;
        }

        var preset = Preset.Quick;
        string? dataDir = null, outRoot = null;
        long seed = 0;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": preset = Preset.Quick; break;
                case "--medium": preset = Preset.Medium; break;
                case "--full": preset = Preset.Full; break;
                case "--smoke": preset = Preset.Smoke; break;
                case "--data-dir" when i + 1 < args.Length: dataDir = args[++i]; break;
                case "--out" when i + 1 < args.Length: outRoot = args[++i]; break;
                case "--seed" when i + 1 < args.Length && long.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out seed): i++; break;
                default:
                    stderr.WriteLine($"error: unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }

        List<Figure> chosen;
        if (args[0].Equals("all", StringComparison.OrdinalIgnoreCase)) chosen = All.ToList();
        else
        {
            var f = All.FirstOrDefault(x => x.Id.Equals(args[0], StringComparison.OrdinalIgnoreCase));
            if (f is null)
            {
                stderr.WriteLine($"error: no figure '{args[0]}'. Known: {string.Join(", ", All.Select(x => x.Id))} (see --list).");
                return 2;
            }
            chosen = new List<Figure> { f };
        }
        outRoot ??= "figures-out";

        var report = new StringBuilder();
        var claims = new List<object>();
        var verdicts = new Dictionary<ClaimStatus, int>();
        int failures = 0;
        var total = Stopwatch.StartNew();
        foreach (var f in chosen)
        {
            var dir = chosen.Count == 1 && args.Contains("--out") ? outRoot : Path.Combine(outRoot, f.Id);
            var ctx = new FigureContext(f, preset, dir, dataDir, seed, line => stdout.WriteLine($"[{f.Id}] {line}"));
            stdout.WriteLine($"== {f.Id}: {f.Title} ({preset.ToString().ToLowerInvariant()})");
            var sw = Stopwatch.StartNew();
            try
            {
                var outcome = f.Run(ctx);
                sw.Stop();
                var text = Summarize(f, ctx, outcome, sw.Elapsed);
                var claim = ClaimRecord(f, ctx, outcome, sw.Elapsed);
                ResultFiles.WriteJson(ctx.PathOf("claim.json"), claim);
                claims.Add(claim);
                verdicts[outcome.Status] = verdicts.GetValueOrDefault(outcome.Status) + 1;
                AtomicFile.WriteAllText(ctx.PathOf("summary.txt"), text);
                stdout.Write(text);
                report.Append(text);
            }
            catch (LossLandscapeException ex)
            {
                failures++;
                stderr.WriteLine($"[{f.Id}] error: {ex.Message}");
                report.AppendLine($"{f.Id}: error: {ex.Message}");
            }
        }
        if (chosen.Count > 1)
        {
            string counts = $"claims: {verdicts.GetValueOrDefault(ClaimStatus.Holds)} hold, {verdicts.GetValueOrDefault(ClaimStatus.DoesNotHold)} do not hold, {verdicts.GetValueOrDefault(ClaimStatus.NotEstablished)} not established";
            report.AppendLine($"all: {chosen.Count - failures} of {chosen.Count} figures written in {total.Elapsed.TotalMinutes:F1} min; {counts}");
            AtomicFile.WriteAllText(Path.Combine(outRoot, "summary.txt"), report.ToString());
            ResultFiles.WriteJson(Path.Combine(outRoot, "summary.json"), new { preset = preset.ToString().ToLowerInvariant(), minutes = total.Elapsed.TotalMinutes, failures, figures = claims });
            stdout.WriteLine($"all: {chosen.Count - failures} of {chosen.Count} figures written in {total.Elapsed.TotalMinutes:F1} min; {counts}; summary in {Path.Combine(outRoot, "summary.txt")}");
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>"slides 14" for the talk's figures, the reference for those beyond the talk.</summary>
    private static string SlidesText(Figure f) => f.Slides.Length > 0 && char.IsDigit(f.Slides[0]) ? $"slides {f.Slides}" : f.Slides;

    private static string Summarize(Figure f, FigureContext ctx, FigureOutcome o, TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{f.Id}: {f.Title} ({SlidesText(f)})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  data: {ctx.DataName}; preset: {ctx.Preset.ToString().ToLowerInvariant()}; {elapsed.TotalSeconds:F0} s");
        foreach (var (name, ours, paper) in o.Numbers)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {name}: {ours}{(paper is null ? "" : $"   (paper: {paper})")}");
        foreach (var p in o.Preconditions)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  precondition: {p.Requirement}: {(p.Met ? "met" : "NOT met")} ({p.Observed})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  claim: {o.Claim}: {o.Verdict}");
        return sb.ToString();
    }

    /// <summary>The claim.json of a figure run: verdict, preconditions and key numbers.</summary>
    private static object ClaimRecord(Figure f, FigureContext ctx, FigureOutcome o, TimeSpan elapsed) => new
    {
        figure = f.Id,
        title = f.Title,
        preset = ctx.Preset.ToString().ToLowerInvariant(),
        data = ctx.DataName,
        seconds = Math.Round(elapsed.TotalSeconds, 1),
        claim = o.Claim,
        status = o.Status,
        verdict = o.Verdict,
        comparisonHolds = o.ClaimHolds,
        preconditions = o.Preconditions.Select(p => new { requirement = p.Requirement, met = p.Met, observed = p.Observed }),
        numbers = o.Numbers.Select(n => new { name = n.Name, ours = n.Ours, paper = n.Paper }),
    };
}
