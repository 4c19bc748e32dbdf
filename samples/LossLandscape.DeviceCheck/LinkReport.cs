using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LossLandscape.DeviceCheck;

/// <summary>
/// What the dynamic linker says about a library against a given search path, by <c>ldd -r</c>: the libraries it needs
/// that are not found, and every symbol it needs that none of them defines (demangled with c++filt where there is one).
/// A LibTorchSharp built for one libtorch version and loaded against another fails on exactly these symbols.
/// </summary>
/// <param name="Library">The library examined.</param>
/// <param name="Available">ldd was there to ask.</param>
/// <param name="MissingLibraries">Needed libraries the loader cannot find.</param>
/// <param name="UndefinedSymbols">Symbols the library needs that nothing defines, as (mangled, readable) pairs.</param>
/// <param name="Note">Why the report is empty, when it is.</param>
public sealed partial record LinkReport(string Library, bool Available, IReadOnlyList<string> MissingLibraries,
    IReadOnlyList<(string Mangled, string Readable)> UndefinedSymbols, string? Note)
{
    /// <summary>At most this many symbols are listed in the JSON (all are counted).</summary>
    public const int ListedSymbols = 60;

    /// <summary>Nothing is missing.</summary>
    public bool Ok => Available && MissingLibraries.Count == 0 && UndefinedSymbols.Count == 0;

    /// <summary>Runs <c>ldd -r</c> on <paramref name="library"/> with <paramref name="libraryPath"/> as LD_LIBRARY_PATH.</summary>
    public static LinkReport Run(string library, string libraryPath, TimeSpan limit)
    {
        var ldd = ChildProcess.FindOnPath("ldd");
        if (ldd is null) return new LinkReport(library, false, Array.Empty<string>(), Array.Empty<(string, string)>(), "ldd is not on PATH");
        var env = new Dictionary<string, string?> { ["LD_LIBRARY_PATH"] = libraryPath };
        var r = ChildProcess.Run(ldd, new[] { "-r", library }, env, limit);
        if (r.TimedOut || r.ExitCode == -1)
            return new LinkReport(library, false, Array.Empty<string>(), Array.Empty<(string, string)>(), $"ldd -r {r.Describe()}");
        // ldd prints the undefined symbols on standard error (glibc) or output (some versions): read both.
        var (missing, symbols) = Parse(r.Stdout + "\n" + r.StderrTail, library);
        return new LinkReport(library, true, missing, Demangle(symbols), null);
    }

    /// <summary>
    /// Reads ldd -r's text: "libx.so => not found" lines, "libx.so: version `V' not found (required by path)" and
    /// "undefined symbol: S (path)" lines that concern <paramref name="library"/>.
    /// </summary>
    public static (IReadOnlyList<string> Missing, IReadOnlyList<string> Symbols) Parse(string text, string library)
    {
        var missing = new List<string>();
        var symbols = new List<string>();
        var name = Path.GetFileName(library);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var nf = NotFound().Match(line);
            if (nf.Success)
            {
                if (!missing.Contains(nf.Groups[1].Value)) missing.Add(nf.Groups[1].Value);
                continue;
            }
            var mv = MissingVersion().Match(line);
            if (mv.Success && Path.GetFileName(mv.Groups[3].Value) == name)
            {
                var entry = $"{mv.Groups[1].Value} (version {mv.Groups[2].Value})";
                if (!missing.Contains(entry)) missing.Add(entry);
                continue;
            }
            var us = Undefined().Match(line);
            if (us.Success && (us.Groups[2].Value.Length == 0 || Path.GetFileName(us.Groups[2].Value) == name))
            {
                if (!symbols.Contains(us.Groups[1].Value)) symbols.Add(us.Groups[1].Value);
            }
        }
        return (missing, symbols);
    }

    private static IReadOnlyList<(string, string)> Demangle(IReadOnlyList<string> symbols)
    {
        if (symbols.Count == 0) return Array.Empty<(string, string)>();
        var filt = ChildProcess.FindOnPath("c++filt");
        string[]? readable = null;
        if (filt is not null)
        {
            var r = ChildProcess.Run(filt, Array.Empty<string>(), null, TimeSpan.FromSeconds(30), string.Join('\n', symbols) + "\n");
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (r.Succeeded && lines.Length == symbols.Count) readable = lines;
        }
        return symbols.Select((s, i) => (s, readable?[i] ?? s)).ToArray();
    }

    /// <summary>The report as JSON (the first <see cref="ListedSymbols"/> symbols listed).</summary>
    public JsonObject ToJson()
    {
        var list = new JsonArray();
        foreach (var (mangled, readable) in UndefinedSymbols.Take(ListedSymbols))
            list.Add(new JsonObject { ["symbol"] = mangled, ["demangled"] = readable });
        return new JsonObject
        {
            ["tool"] = "ldd -r",
            ["library"] = Library,
            ["available"] = Available,
            ["ok"] = Ok,
            ["missingLibraries"] = new JsonArray(MissingLibraries.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            ["undefinedSymbolCount"] = UndefinedSymbols.Count,
            ["undefinedSymbols"] = list,
            ["note"] = Note,
        };
    }

    [GeneratedRegex(@"^(\S+)\s+=>\s+not found$")]
    private static partial Regex NotFound();

    [GeneratedRegex(@"^(?:\S+:\s+)?(\S+): version `(\S+)' not found \(required by (.*)\)$")]
    private static partial Regex MissingVersion();

    [GeneratedRegex(@"^undefined symbol:\s+(\S+?)(?:,\s+version\s+\S+)?\s*(?:\((.*)\))?$")]
    private static partial Regex Undefined();
}
