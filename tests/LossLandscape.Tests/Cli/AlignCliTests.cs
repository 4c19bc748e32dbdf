using System.Text.Json;
using LossLandscape.Checkpoints;
using LossLandscape.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Cli;

/// <summary><c>llscape align</c> and <c>llscape connect --method autoneb</c> on two runs of <c>llscape train</c>.</summary>
[Collection("Console")]
public class AlignCliTests
{
    private static string Train(string dir, int seed)
    {
        var run = Path.Combine(dir, $"run{seed}");
        var (code, output, err) = CliTests.Run("train", "--model", "mlp:64-8-10", "--data", "digits", "--steps", "30", "--eval-subset", "10",
            "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", run);
        code.Should().Be(0, err + output);
        return Path.Combine(run, "model.safetensors");
    }

    [Fact]
    public void Align_WritesAModelThatComputesTheSameFunction_AndReportsBarriersBeforeAndAfter()
    {
        var dir = TestUtil.TempDir();
        var a = Train(dir, 0);
        var b = Train(dir, 1);
        var aligned = Path.Combine(dir, "out", "b-aligned.safetensors");
        var json = Path.Combine(dir, "align.json");
        var (code, output, err) = CliTests.Run("align", "--from", a, "--to", b, "--data", "digits", "--first", "300", "--test-data", "digits",
            "--out", aligned, "--points", "5", "--json", json, "--csv", Path.Combine(dir, "align.csv"), "--plot", Path.Combine(dir, "align.png"));
        code.Should().Be(0, err + output);
        output.Should().Contain("line barrier (max - mean of ends), train loss: before").And.Contain("test error: before").And.Contain("aligned model:");

        // The aligned file keeps --to's metadata (so probes read it like --to) and computes the same function.
        var meta = Safetensors.ReadMetadata(aligned);
        meta["model"].Should().Be("mlp:64-8-10");
        meta["alignment"].Should().Be("weight");
        manual_seed(0);
        using var mb = new Mlp(new[] { 64, 8, 10 });
        using var mx = new Mlp(new[] { 64, 8, 10 });
        Checkpoint.Load(mb, b);
        Checkpoint.Load(mx, aligned);
        using var x = rand(new long[] { 16, 64 });
        using var yb = mb.call(x);
        using var yx = mx.call(x);
        (yb - yx).abs().max().item<float>().Should().BeLessThan(1e-5f);
        using var wb = mb.parameters().First().detach().clone();
        using var wx = mx.parameters().First().detach().clone();
        wb.eq(wx).all().item<bool>().Should().BeFalse("the hidden units were permuted");

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        r.GetProperty("method").GetString().Should().Be("weight");
        r.GetProperty("groups").GetArrayLength().Should().Be(1);
        r.GetProperty("before").GetProperty("points").GetArrayLength().Should().Be(5);
        double before = r.GetProperty("barriers").GetProperty("before").GetProperty("trainLoss").GetDouble();
        double after = r.GetProperty("barriers").GetProperty("after").GetProperty("trainLoss").GetDouble();
        double.IsFinite(before).Should().BeTrue();
        double.IsFinite(after).Should().BeTrue();
        File.ReadAllLines(Path.Combine(dir, "align.csv")).Should().HaveCount(6);
        File.Exists(Path.Combine(dir, "align.png")).Should().BeTrue();

        // The aligned model is a checkpoint like any other: activation matching, and AutoNEB between it and --from.
        var (c2, o2, e2) = CliTests.Run("align", "--from", a, "--to", b, "--data", "digits", "--first", "200", "--out", Path.Combine(dir, "act.safetensors"),
            "--method", "activation", "--points", "0");
        c2.Should().Be(0, e2 + o2);
        o2.Should().Contain("activation matching").And.NotContain("line barrier");
        var (c3, o3, e3) = CliTests.Run("connect", "--from", a, "--to", aligned, "--data", "digits", "--first", "200", "--method", "autoneb",
            "--steps", "6", "--cycles", "2", "--images", "3", "--points", "5", "--batch-size", "32");
        c3.Should().Be(0, e3 + o3);
        o3.Should().Contain("autoneb loss").And.Contain("barrier: line");
    }

    [Fact]
    public void Align_BadInput_ExitsWith2AndOneClearMessage()
    {
        var dir = TestUtil.TempDir();
        var a = Train(dir, 0);
        BadInputTests.AssertBadInput(CliTests.Run("align", "--from", a, "--to", a, "--data", "digits"), "--out FILE.safetensors is required");
        BadInputTests.AssertBadInput(CliTests.Run("align", "--from", a, "--to", a, "--data", "digits", "--out", Path.Combine(dir, "x.json")), "--out", "must end in .safetensors");
        BadInputTests.AssertBadInput(CliTests.Run("align", "--from", a, "--to", a, "--data", "digits", "--out", Path.Combine(dir, "x.safetensors"), "--method", "greedy"),
            "Alignment method 'greedy' is not known", "weight or activation");
        BadInputTests.AssertBadInput(CliTests.Run("align", "--from", a, "--to", Path.Combine(dir, "missing.safetensors"), "--data", "digits", "--out", Path.Combine(dir, "x.safetensors")),
            "--to", "does not exist");
        BadInputTests.AssertBadInput(CliTests.Run("align", "--from", a, "--to", a, "--data", "digits", "--out", Path.Combine(dir, "x.safetensors"), "--points", "1"),
            "--points 1 is not valid");
        BadInputTests.AssertBadInput(CliTests.Run("connect", "--from", a, "--to", a, "--data", "digits", "--method", "autoneb", "--cycles", "0"), "AutoNEB needs at least one cycle");
        BadInputTests.AssertBadInput(CliTests.Run("connect", "--from", a, "--to", a, "--data", "digits", "--method", "teleport"), "bezier, string or autoneb");
        File.Exists(Path.Combine(dir, "x.safetensors")).Should().BeFalse();
    }
}
