using Spectre.Console.Cli;

namespace LossLandscape.Cli;

/// <summary>What a command will write: an option name, the path given and whether it is a folder.</summary>
/// <param name="Option">The option, for example <c>--json</c>.</param>
/// <param name="Path">The path given, or null when the option was not given.</param>
/// <param name="IsFolder">True for a folder (train's --out), false for a file.</param>
/// <param name="Extensions">For a file, the extensions it must have (for example .png and .svg for a plot); empty for any.</param>
public sealed record OutputPath(string Option, string? Path, bool IsFolder = false, params string[] Extensions);

/// <summary>Settings of a command that writes files: the outputs are checked before the command starts its work.</summary>
public interface IWritesOutputs
{
    /// <summary>Every output the command may write.</summary>
    IEnumerable<OutputPath> Outputs { get; }
}

/// <summary>
/// Checks before any computation that every output of a command can be written: a file's folder exists or can be
/// made and accepts new files (the same test a write makes: a file is created there and removed), a file is not a
/// folder, a folder is not a file, a plot ends in .png or .svg. Runs for every command (a Spectre interceptor), so a
/// long run never ends in "cannot write".
/// </summary>
public sealed class OutputPreflight : ICommandInterceptor
{
    /// <inheritdoc />
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (settings is IWritesOutputs w) Check(w.Outputs);
    }

    /// <inheritdoc />
    public void InterceptResult(CommandContext context, CommandSettings settings, ref int result)
    {
    }

    /// <summary>Checks each output that was given.</summary>
    /// <exception cref="LossLandscapeException">One cannot be written; the message names the option, the path and the fix.</exception>
    public static void Check(IEnumerable<OutputPath> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in outputs)
        {
            if (o.Path is null) continue;
            if (string.IsNullOrWhiteSpace(o.Path))
                throw new LossLandscapeException($"{o.Option} is empty: give a {(o.IsFolder ? "folder" : "file")} path.");
            string full;
            try { full = System.IO.Path.GetFullPath(o.Path); }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
            {
                throw new LossLandscapeException($"{o.Option} '{o.Path}' is not a valid path ({ex.Message}).");
            }
            if (!o.IsFolder && seen.TryGetValue(full, out var other))
                throw new LossLandscapeException($"{o.Option} and {other} both name '{o.Path}': give each output its own file.");
            seen[full] = o.Option;
            if (o.IsFolder) CheckFolder(o.Option, o.Path, full);
            else CheckFile(o, full);
        }
    }

    private static void CheckFile(OutputPath o, string full)
    {
        if (Directory.Exists(full))
            throw new LossLandscapeException($"{o.Option} '{o.Path}' is a folder: give a file name (for example {System.IO.Path.Combine(o.Path!, "result" + (o.Extensions.Length > 0 ? o.Extensions[0] : ".json"))}).");
        if (o.Extensions.Length > 0 && !o.Extensions.Contains(System.IO.Path.GetExtension(full).ToLowerInvariant()))
            throw new LossLandscapeException($"{o.Option} '{o.Path}' must end in {string.Join(" or ", o.Extensions)} (the extension picks the format).");
        var dir = System.IO.Path.GetDirectoryName(full) ?? full;
        CheckFolder(o.Option, o.Path!, dir);
    }

    private static void CheckFolder(string option, string given, string folder)
    {
        if (File.Exists(folder))
            throw new LossLandscapeException($"{option} '{given}' needs the folder '{folder}', but that is a file: choose another path.");
        var existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new LossLandscapeException($"{option} '{given}' needs the folder '{folder}', but '{existing}' is a file: choose another path.");
            var up = System.IO.Path.GetDirectoryName(existing);
            if (up is null) break;
            existing = up;
        }
        var probe = System.IO.Path.Combine(existing, $".llscape-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LossLandscapeException($"{option} '{given}' cannot be written: the folder '{existing}' does not accept new files{(ex is UnauthorizedAccessException ? " (permission denied)" : "")}. Choose a writable path.", ex);
        }
    }
}
