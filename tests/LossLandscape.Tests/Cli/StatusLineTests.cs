using LossLandscape.Cli;

namespace LossLandscape.Tests.Cli;

public class StatusLineTests
{
    [Fact]
    public void Report_RewritesOneLine_AtMostEveryInterval_AndDisposeErasesIt()
    {
        var writer = new StringWriter();
        var now = TimeSpan.Zero;
        var line = new StatusLine(writer, () => now);
        var progress = line.For<int>(k => $"probe {k}");
        progress.Report(1);
        now = TimeSpan.FromSeconds(0.2);
        progress.Report(2); // too soon: dropped
        now = TimeSpan.FromSeconds(3);
        progress.Report(3);
        writer.ToString().Should().Be("\rprobe 1 (0 s)\rprobe 3 (3 s)");
        line.Dispose();
        writer.ToString().Should().EndWith("\r" + new string(' ', "probe 3 (3 s)".Length) + "\r");
        writer.ToString().Should().NotContain("\n");
    }

    [Fact]
    public void WithoutATerminal_NothingIsWritten()
    {
        var act = () =>
        {
            using var line = new StatusLine(null, null);
            line.Report("anything");
            line.For<int>(k => k.ToString()).Report(1);
        };
        act.Should().NotThrow();
    }
}
