using System.Globalization;
using System.Text;
using System.Text.Json;
using LossLandscape.IO;

namespace LossLandscape.Figures;

/// <summary>How big a run is: the paper's setting, the 15-minute and the 2-minute CPU versions, or the smoke-test size.</summary>
public enum Preset
{
    /// <summary>A few seconds: what the tests run.</summary>
    Smoke,
    /// <summary>About 2 minutes on a 2-core CPU, on a real data set that is present.</summary>
    Quick,
    /// <summary>
    /// At most about 15 minutes per figure on an idle 2-core CPU: the paper's pipeline (its architectures where they fit)
    /// at the largest scale that allows, large enough for the slide's regime (nets trained, grids resolved); the README's gallery.
    /// </summary>
    Medium,
    /// <summary>The paper's setting, for a GPU and the real data set.</summary>
    Full,
}

/// <summary>One figure or claim of the talk (see shared/FIGURES.md).</summary>
public abstract class Figure
{
    /// <summary>The figure's letter (A to Q).</summary>
    public abstract string Id { get; }

    /// <summary>What it shows.</summary>
    public abstract string Title { get; }

    /// <summary>The slides of the talk it reproduces.</summary>
    public abstract string Slides { get; }

    /// <summary>Runs the experiment, writes plots, CSV/JSON and the summary into <see cref="FigureContext.OutDir"/>.</summary>
    public abstract FigureOutcome Run(FigureContext context);
}

/// <summary>What a figure run produced: its key numbers next to the paper's, and whether its claim held.</summary>
/// <param name="ClaimHolds">Whether the comparison of the claim came out the paper's way in this run (whatever the preconditions).</param>
/// <param name="Claim">The claim checked, in words.</param>
/// <param name="Numbers">Key numbers (name, ours, paper's or null).</param>
/// <param name="Preconditions">What must be true for the comparison to mean anything, and whether it was.</param>
public sealed record FigureOutcome(bool ClaimHolds, string Claim, IReadOnlyList<(string Name, string Ours, string? Paper)> Numbers, IReadOnlyList<Precondition> Preconditions)
{
    /// <summary>"Holds" / "does not hold" only when every precondition is met, else "not established".</summary>
    public ClaimStatus Status => Precondition.Judge(ClaimHolds, Preconditions);

    /// <summary>The verdict in words: "holds", "does not hold", or "not established: REASON" (the failed preconditions).</summary>
    public string Verdict => Status switch
    {
        ClaimStatus.Holds => "holds",
        ClaimStatus.DoesNotHold => "does not hold",
        _ => "not established: " + string.Join("; ", Preconditions.Where(p => !p.Met).Select(p => $"{p.Observed} (needs {p.Requirement})")),
    };
}

/// <summary>Everything a figure needs from the program: preset, folders, seed, progress, writers.</summary>
public sealed partial class FigureContext
{
    /// <summary>Creates the context and its output folder.</summary>
    public FigureContext(Figure figure, Preset preset, string outDir, string? dataDir, long seed, Action<string> log)
    {
        Figure = figure;
        Preset = preset;
        OutDir = outDir;
        DataDir = dataDir;
        Seed = seed;
        Log = log;
        Directory.CreateDirectory(outDir);
    }

    /// <summary>The figure being run.</summary>
    public Figure Figure { get; }
    /// <summary>Run size.</summary>
    public Preset Preset { get; }
    /// <summary>Output folder of this figure.</summary>
    public string OutDir { get; }
    /// <summary>Where to look for data sets first (--data-dir).</summary>
    public string? DataDir { get; }
    /// <summary>Seed of the run.</summary>
    public long Seed { get; }
    /// <summary>Progress lines.</summary>
    public Action<string> Log { get; }
    /// <summary>Name of the data set actually used (said in titles and summaries).</summary>
    public string DataName { get; set; } = "";

    /// <summary>Picks the value for the current preset; the medium preset takes the quick value (see the four-value overload).</summary>
    public T Pick<T>(T smoke, T quick, T full) => Pick(smoke, quick, quick, full);

    /// <summary>Picks the value for the current preset.</summary>
    public T Pick<T>(T smoke, T quick, T medium, T full) => Preset switch
    {
        Preset.Smoke => smoke,
        Preset.Quick => quick,
        Preset.Medium => medium,
        _ => full,
    };

    /// <summary>Path of an output file.</summary>
    public string PathOf(string file) => Path.Combine(OutDir, file);

    /// <summary>Plot title: the figure's title, data set and preset.</summary>
    public string PlotTitle(string what) =>
        $"{Figure.Id}: {what} ({(DataName.Length > 0 ? DataName + ", " : "")}{Preset.ToString().ToLowerInvariant()})";

    /// <summary>Writes rows as CSV atomically (the one result writer's format).</summary>
    public void WriteCsv(string file, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object>> rows) =>
        ResultFiles.WriteCsv(PathOf(file), header, rows);

    /// <summary>Writes an object as indented JSON atomically (the one result writer's format).</summary>
    public void WriteJson(string file, object value) => ResultFiles.WriteJson(PathOf(file), value);
}
