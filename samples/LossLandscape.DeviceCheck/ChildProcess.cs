using System.Diagnostics;
using System.Text;

namespace LossLandscape.DeviceCheck;

/// <summary>The outcome of one child process.</summary>
/// <param name="ExitCode">The exit status (128 + signal for a process killed by a signal, as a shell reports it); -1 when it could not start.</param>
/// <param name="TimedOut">It ran past its limit and was killed.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Stdout">The whole standard output.</param>
/// <param name="StderrTail">The last few kilobytes of standard error.</param>
public sealed record ChildResult(int ExitCode, bool TimedOut, double Seconds, string Stdout, string StderrTail)
{
    /// <summary>Exited with status 0 within its limit.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>What went wrong, in one line (empty when it succeeded).</summary>
    public string Describe()
    {
        if (Succeeded) return "";
        if (ExitCode == -1) return $"could not start: {StderrTail}";
        var last = StderrTail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var hint = last.Length == 0 ? "" : $": {last[^1]}";
        if (TimedOut) return $"ran past its time limit ({Seconds:F0} s) and was stopped{hint}";
        return ExitCode > 128 ? $"killed by signal {ExitCode - 128}{hint}" : $"exit status {ExitCode}{hint}";
    }
}

/// <summary>Runs a program with arguments, extra environment and a time limit, keeping what it prints.</summary>
public static class ChildProcess
{
    private const int TailChars = 6000;

    /// <summary>Runs <paramref name="program"/>; the environment is this process's with <paramref name="environment"/> on top (a null value removes a variable).</summary>
    public static ChildResult Run(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, TimeSpan limit,
        string? standardInput = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }
        var watch = Stopwatch.StartNew();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
                if (stderr.Length > 4 * TailChars) stderr.Remove(0, stderr.Length - TailChars);
            }
        };
        try
        {
            if (!process.Start()) return new ChildResult(-1, false, 0, "", $"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ChildResult(-1, false, 0, "", $"{program}: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }
        bool timedOut = false;
        if (!process.WaitForExit(limit))
        {
            timedOut = true;
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        process.WaitForExit();
        string err;
        lock (stderr) err = stderr.Length > TailChars ? stderr.ToString(stderr.Length - TailChars, TailChars) : stderr.ToString();
        string output;
        lock (stdout) output = stdout.ToString();
        return new ChildResult(process.ExitCode, timedOut, watch.Elapsed.TotalSeconds, output, err);
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        if (name.Contains('/')) return File.Exists(name) ? Path.GetFullPath(name) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
