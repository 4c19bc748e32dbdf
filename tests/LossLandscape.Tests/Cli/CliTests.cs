using LossLandscape.Cli;
using LossLandscape.Specs;
using Spectre.Console;

namespace LossLandscape.Tests.Cli;

[Collection("Console")]
public class CliTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var outW = new StringWriter();
        var errW = new StringWriter();
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        var oldAnsi = AnsiConsole.Console;
        try
        {
            Console.SetOut(outW);
            Console.SetError(errW);
            AnsiConsole.Console = Plain(outW);
            int code = Program.Run(args, AnsiConsole.Console, Plain(errW));
            return (code, outW.ToString(), errW.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            AnsiConsole.Console = oldAnsi;
        }
    }

    private static IAnsiConsole Plain(TextWriter w)
    {
        var c = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(w),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        c.Profile.Width = 200;
        return c;
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        var (code, output, _) = Run("--version");
        code.Should().Be(0);
        output.Trim().Should().MatchRegex(@"^\d+\.\d+\.\d+");
    }

    [Fact]
    public void ModelInfo_PrintsLayersAndCount()
    {
        var (code, output, _) = Run("model", "info", "mlp:784-500-300-10");
        code.Should().Be(0);
        output.Should().Contain("parameters: 545810").And.Contain("Linear").And.Contain("weight[500x784]");
    }

    [Fact]
    public void ReleaseHostMemory_IsAGlobalOption_WithHelp()
    {
        var (code, output, _) = Run("model", "info", "mlp:4-2", "--release-host-memory");
        code.Should().Be(0);
        output.Should().Contain("parameters: 10");
        var (helpCode, help, _) = Run("spectrum", "--help");
        helpCode.Should().Be(0);
        help.Should().Contain("--release-host-memory");
    }

    [Fact]
    public void BadSpec_ExitsTwoWithOneMessageAndNoTrace()
    {
        var (code, _, err) = Run("model", "info", "mlp:abc");
        code.Should().Be(2);
        err.Should().Contain("Model spec 'mlp:abc' is not valid").And.NotContain("   at ");
    }

    [Fact]
    public void UnknownCommand_ExitsTwo()
    {
        Run("frobnicate").Code.Should().Be(2);
    }

    [Fact]
    public void BadDevice_ExitsTwo()
    {
        var (code, _, err) = Run("model", "info", "mlp:4-2", "--device", "tpu");
        code.Should().Be(2);
        err.Should().Contain("Device 'tpu' is not valid");
    }

    [Fact]
    public void Verbose_AddsTheTrace()
    {
        var (_, _, err) = Run("model", "info", "mlp:abc", "--verbose");
        err.Should().Contain("ModelSpec");
    }

    [Fact]
    public void Help_ListsCommands()
    {
        var (code, output, _) = Run("--help");
        code.Should().Be(0);
        output.Should().Contain("model");
    }
}
