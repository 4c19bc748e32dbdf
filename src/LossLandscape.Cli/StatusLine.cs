using System.Diagnostics;

namespace LossLandscape.Cli;

/// <summary>
/// A one-line progress display for long commands (spectrum, density, trace): rewritten in place on standard error at
/// most every <see cref="Interval"/>, and only when standard error is a terminal, so piped or captured output stays
/// clean. Disposing erases the line.
/// </summary>
public sealed class StatusLine : IDisposable
{
    private readonly TextWriter? _writer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Func<TimeSpan> _now;
    private TimeSpan _last = TimeSpan.MinValue;
    private int _width;

    /// <summary>A status line on standard error, shown when it is a terminal.</summary>
    public StatusLine()
        : this(Console.IsErrorRedirected ? null : Console.Error, null)
    {
    }

    /// <summary>A status line on <paramref name="writer"/> (null: shows nothing), with an injectable clock for tests.</summary>
    public StatusLine(TextWriter? writer, Func<TimeSpan>? now)
    {
        _writer = writer;
        _now = now ?? (() => _clock.Elapsed);
    }

    /// <summary>Least time between two updates.</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Shows <paramref name="text"/> (with the elapsed seconds) unless the last update is too recent.</summary>
    public void Report(string text)
    {
        if (_writer is null) return;
        var now = _now();
        if (_last != TimeSpan.MinValue && now - _last < Interval) return;
        _last = now;
        var line = $"{text} ({now.TotalSeconds:F0} s)";
        _writer.Write("\r" + line.PadRight(_width));
        _width = line.Length;
        _writer.Flush();
    }

    /// <summary>A progress sink that shows <paramref name="format"/>'s text for each report.</summary>
    public IProgress<T> For<T>(Func<T, string> format) => new Sink<T>(this, format);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_writer is null || _width == 0) return;
        _writer.Write("\r" + new string(' ', _width) + "\r");
        _writer.Flush();
        _width = 0;
    }

    private sealed class Sink<T>(StatusLine line, Func<T, string> format) : IProgress<T>
    {
        public void Report(T value) => line.Report(format(value));
    }
}
