using System.Diagnostics;

namespace LossLandscape.Cli;

/// <summary>
/// The one progress display of the commands (train, spectrum, density, trace, data downloads): on a terminal, one line
/// on standard error rewritten in place at most every <see cref="Interval"/> and erased on disposal; when standard
/// error is redirected (a log file, a Slurm job), nothing, or with <c>log: true</c> a plain line at most every
/// <see cref="LogInterval"/>, so captured output stays readable.
/// </summary>
public sealed class StatusLine : IDisposable
{
    private readonly TextWriter? _terminal;
    private readonly TextWriter? _log;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Func<TimeSpan> _now;
    private TimeSpan _last = TimeSpan.MinValue;
    private int _width;

    /// <summary>A status line on standard error: in place on a terminal; when redirected, periodic lines if <paramref name="log"/>, else nothing.</summary>
    public StatusLine(bool log = false)
        : this(Console.IsErrorRedirected ? null : Console.Error, log && Console.IsErrorRedirected ? Console.Error : null, null)
    {
    }

    /// <summary>A status line rewritten in place on <paramref name="writer"/> (null: shows nothing), with an injectable clock for tests.</summary>
    public StatusLine(TextWriter? writer, Func<TimeSpan>? now)
        : this(writer, null, now)
    {
    }

    /// <summary>
    /// A status line rewritten in place on <paramref name="terminal"/>, or else written as plain lines to
    /// <paramref name="log"/> (either may be null), with an injectable clock for tests.
    /// </summary>
    public StatusLine(TextWriter? terminal, TextWriter? log, Func<TimeSpan>? now)
    {
        _terminal = terminal;
        _log = terminal is null ? log : null;
        _now = now ?? (() => _clock.Elapsed);
    }

    /// <summary>Least time between two updates on a terminal.</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Least time between two lines written to a log.</summary>
    public static TimeSpan LogInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Shows <paramref name="text"/> (with the elapsed seconds) unless the last update is too recent.</summary>
    public void Report(string text)
    {
        if (_terminal is null && _log is null) return;
        var now = _now();
        if (_last != TimeSpan.MinValue && now - _last < (_terminal is null ? LogInterval : Interval)) return;
        _last = now;
        var line = $"{text} ({now.TotalSeconds:F0} s)";
        if (_terminal is null)
        {
            _log!.WriteLine(line);
            _log.Flush();
            return;
        }
        _terminal.Write("\r" + line.PadRight(_width));
        _width = line.Length;
        _terminal.Flush();
    }

    /// <summary>A progress sink that shows <paramref name="format"/>'s text for each report.</summary>
    public IProgress<T> For<T>(Func<T, string> format) => new Sink<T>(this, format);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_terminal is null || _width == 0) return;
        _terminal.Write("\r" + new string(' ', _width) + "\r");
        _terminal.Flush();
        _width = 0;
    }

    private sealed class Sink<T>(StatusLine line, Func<T, string> format) : IProgress<T>
    {
        public void Report(T value) => line.Report(format(value));
    }
}
