using System.Text.Json;
using LossLandscape.Checkpoints;
using LossLandscape.Tests.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Spectra;

/// <summary>The spread, checkpoint and estimator options of <c>spectrum</c>, <c>density</c> and <c>trace</c>, end to end.</summary>
[Collection("Console")]
public class SpectraCliTests
{
    private static (string Dir, string Data, string Weights) Files()
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var g = new Generator(8);
        Safetensors.Save(data, new Dictionary<string, Tensor>
        {
            ["x"] = randn(new long[] { 120, 4 }, generator: g),
            ["y"] = randint(0, 3, new long[] { 120 }, dtype: ScalarType.Int64, generator: g),
        });
        manual_seed(81);
        var m = new LossLandscape.Models.Mlp(new[] { 4, 8, 3 });
        var w = Path.Combine(dir, "w.safetensors");
        Checkpoint.Save(m, w);
        return (dir, data, w);
    }

    private static string[] Args(string command, string data, string weights, params string[] extra) =>
        new[] { command, "--model", "mlp:4-8-3", "--weights", weights, "--data", data, "--dtype", "float64" }.Concat(extra).ToArray();

    [Fact]
    public void Spectrum_Repeats_ReportsTheSpreadBesideTheWholeData()
    {
        var (dir, data, w) = Files();
        var json = Path.Combine(dir, "s.json");
        var (code, output, err) = CliTests.Run(Args("spectrum", data, w, "--top", "3", "--repeats", "3", "--subset", "30", "--json", json));
        code.Should().Be(0, err);
        output.Should().Contain("3 disjoint subsets of 30 examples").And.Contain("top   1:");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        root.GetProperty("examples").GetInt64().Should().Be(120, "the main value is on the whole data");
        root.GetProperty("basisSize").GetInt32().Should().Be(20);
        root.GetProperty("reorthogonalization").GetString().Should().Be("partial");
        var spread = root.GetProperty("spread");
        spread.GetProperty("repeats").GetInt32().Should().Be(3);
        spread.GetProperty("disjoint").GetBoolean().Should().BeTrue();
        var top = spread.GetProperty("top");
        top.GetArrayLength().Should().Be(3);
        var per = spread.GetProperty("topPerSubset").EnumerateArray().Select(a => a[0].GetDouble()).ToArray();
        per.Should().HaveCount(3);
        top[0].GetProperty("mean").GetDouble().Should().BeApproximately(per.Average(), 1e-12);
        top[0].GetProperty("min").GetDouble().Should().Be(per.Min());
        top[0].GetProperty("max").GetDouble().Should().Be(per.Max());
        top[0].GetProperty("standardError").GetDouble().Should().BeGreaterThan(0);

        var (bad, _, badErr) = CliTests.Run(Args("spectrum", data, w, "--repeats", "3"));
        bad.Should().Be(2);
        badErr.Should().Contain("--repeats needs --subset N");
        var (bad2, _, badErr2) = CliTests.Run(Args("spectrum", data, w, "--repeats", "5", "--subset", "500"));
        bad2.Should().Be(2);
        badErr2.Should().Contain("Subset size 500 is above the 120 examples");
    }

    [Fact]
    public void Spectrum_CheckpointDir_ResumesAndRefusesAnotherProblem()
    {
        var (dir, data, w) = Files();
        var state = Path.Combine(dir, "state");
        var a = Path.Combine(dir, "a.json");
        var b = Path.Combine(dir, "b.json");
        var (code, _, err) = CliTests.Run(Args("spectrum", data, w, "--top", "4", "--bottom", "1", "--basis", "12", "--checkpoint-dir", state, "--checkpoint-every", "3", "--json", a));
        code.Should().Be(0, err);
        File.Exists(Path.Combine(state, "run", "lanczos.state")).Should().BeTrue();
        File.Exists(Path.Combine(state, "run", "lanczos.result.json")).Should().BeTrue();
        (code, _, err) = CliTests.Run(Args("spectrum", data, w, "--top", "4", "--bottom", "1", "--basis", "12", "--checkpoint-dir", state, "--checkpoint-every", "3", "--json", b));
        code.Should().Be(0, err);
        double[] Values(string p) => JsonDocument.Parse(File.ReadAllText(p)).RootElement.GetProperty("eigenvalues").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Values(b).Should().Equal(Values(a));
        var (bad, _, badErr) = CliTests.Run(Args("spectrum", data, w, "--top", "2", "--basis", "12", "--checkpoint-dir", state));
        bad.Should().Be(2);
        badErr.Should().Contain("belongs to another run");
        var (bad2, _, badErr2) = CliTests.Run(Args("spectrum", data, w, "--top", "4", "--basis", "5"));
        bad2.Should().Be(2);
        badErr2.Should().Contain("Basis size 5 is too small");
        var (bad3, _, badErr3) = CliTests.Run(Args("spectrum", data, w, "--reorth", "sometimes"));
        bad3.Should().Be(2);
        badErr3.Should().Contain("--reorth 'sometimes' is not valid");
    }

    [Fact]
    public void Trace_UsesHutchPlusPlus_AndKeepsHutchinson_AndDensityHasItsBand()
    {
        var (dir, data, w) = Files();
        var t1 = Path.Combine(dir, "t1.json");
        var t2 = Path.Combine(dir, "t2.json");
        var (code, output, err) = CliTests.Run(Args("trace", data, w, "--probes", "30", "--json", t1));
        code.Should().Be(0, err);
        output.Should().Contain("hutch++: low-rank part");
        using (var doc = JsonDocument.Parse(File.ReadAllText(t1)))
        {
            doc.RootElement.GetProperty("estimator").GetString().Should().Be("hutch++");
            doc.RootElement.GetProperty("sketchSize").GetInt32().Should().Be(10);
            double trace = doc.RootElement.GetProperty("trace").GetDouble();
            doc.RootElement.GetProperty("blocks").EnumerateArray().Sum(x => x.GetProperty("trace").GetDouble()).Should().BeApproximately(trace, 1e-9 * Math.Abs(trace) + 1e-12);
        }
        (code, _, err) = CliTests.Run(Args("trace", data, w, "--probes", "30", "--estimator", "hutchinson", "--json", t2));
        code.Should().Be(0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(t2)))
            doc.RootElement.GetProperty("estimator").GetString().Should().Be("hutchinson");
        var (bad, _, badErr) = CliTests.Run(Args("trace", data, w, "--estimator", "exact"));
        bad.Should().Be(2);
        badErr.Should().Contain("--estimator 'exact' is not valid");

        var d = Path.Combine(dir, "d.json");
        var png = Path.Combine(dir, "d.png");
        (code, output, err) = CliTests.Run(Args("density", data, w, "--probes", "4", "--steps", "12", "--grid", "100", "--json", d, "--plot", png, "--checkpoint-dir", Path.Combine(dir, "dstate")));
        code.Should().Be(0, err);
        output.Should().Contain("standard error over probes");
        using (var doc = JsonDocument.Parse(File.ReadAllText(d)))
        {
            var lower = doc.RootElement.GetProperty("densityLower").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var upper = doc.RootElement.GetProperty("densityUpper").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var dens = doc.RootElement.GetProperty("density").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            lower.Should().HaveCount(100);
            for (int i = 0; i < 100; i++)
            {
                lower[i].Should().BeLessThanOrEqualTo(dens[i]);
                upper[i].Should().BeGreaterThanOrEqualTo(dens[i]);
            }
            doc.RootElement.GetProperty("traceStandardError").GetDouble().Should().BeGreaterThan(0);
        }
        File.Exists(png).Should().BeTrue();
        File.Exists(Path.Combine(dir, "dstate", "density", "density.state")).Should().BeTrue();
    }

    [Fact]
    public void Help_ShowsTheNewOptions()
    {
        var (code, help, err) = CliTests.Run("spectrum", "--help");
        code.Should().Be(0, err);
        help.Should().Contain("--basis").And.Contain("--repeats").And.Contain("--checkpoint-dir").And.Contain("--checkpoint-every").And.Contain("--reorth");
        (code, help, err) = CliTests.Run("trace", "--help");
        code.Should().Be(0, err);
        help.Should().Contain("--estimator");
        (code, help, err) = CliTests.Run("density", "--help");
        code.Should().Be(0, err);
        help.Should().Contain("--checkpoint-dir").And.Contain("--confidence");
    }
}
