using System.Xml.Linq;

namespace LossLandscape.Tests.Cli;

/// <summary>
/// Every command's and branch's --help renders. The commands are read from the CommandApp's own model (Spectre's
/// hidden <c>cli xmldoc</c>), so a command added to Program is covered without touching this test.
/// </summary>
[Collection("Console")]
public class HelpTests
{
    /// <summary>Each command and branch as its words on the command line (for example ["data", "info"]).</summary>
    internal static List<string[]> AllCommands()
    {
        var (code, output, err) = CliTests.Run("cli", "xmldoc");
        code.Should().Be(0, err);
        var xml = XDocument.Parse(output.Trim());
        var paths = new List<string[]>();
        void Walk(XElement parent, string[] prefix)
        {
            foreach (var c in parent.Elements("Command"))
            {
                var path = prefix.Append(c.Attribute("Name")!.Value.Trim()).ToArray();
                paths.Add(path);
                Walk(c, path);
            }
        }
        Walk(xml.Root!, Array.Empty<string>());
        return paths;
    }

    [Fact]
    public void EnumeratedCommands_IncludeEveryKnownCommandAndBranch()
    {
        var names = AllCommands().Select(p => string.Join(" ", p)).ToList();
        names.Should().Contain(new[]
        {
            "train", "model", "model info", "interpolate", "surface", "merge", "connect", "align", "sharpness", "trajectory",
            "data", "data info", "spectrum", "density", "trace",
        });
    }

    [Fact]
    public void EveryCommandsHelp_Renders()
    {
        var failures = new List<string>();
        foreach (var path in AllCommands().Prepend(Array.Empty<string>()))
        {
            var (code, output, err) = CliTests.Run(path.Append("--help").ToArray());
            var name = path.Length == 0 ? "llscape" : string.Join(" ", path);
            if (code != 0 || !output.Contains("USAGE:", StringComparison.Ordinal) || err.Length > 0)
                failures.Add($"{name} --help: exit {code}, stderr '{err.Trim()}'");
        }
        failures.Should().BeEmpty();
    }

    [Fact]
    public void OldOptionSpellings_AreHidden_NewOnesShown()
    {
        var (_, spectrum, _) = CliTests.Run("spectrum", "--help");
        spectrum.Should().Contain("--checkpoint").And.Contain("--chunk-size").And.Contain("--bn ").And.Contain("--first")
            .And.NotContain("--weights").And.NotContain("--batch-size").And.NotContain("--bn-mode");
        var (_, surface, _) = CliTests.Run("surface", "--help");
        surface.Should().Contain("--chunk-size").And.Contain("--checkpoint-b").And.Contain("class-balanced")
            .And.NotContain("--chunk ").And.NotContain("--model-b");
    }
}
