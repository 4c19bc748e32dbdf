using System.Text.Json;
using LossLandscape.Checkpoints;
using LossLandscape.Tests.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Landscape;

[Collection("Console")]
public class LandscapeCliTests
{
    private static (string Dir, string Data, string[] Models) Files(int models = 3)
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var g = new Generator(3);
        Safetensors.Save(data, new Dictionary<string, Tensor>
        {
            ["x"] = randn(new long[] { 24, 4 }, generator: g),
            ["y"] = randint(0, 3, new long[] { 24 }, dtype: ScalarType.Int64, generator: g),
        });
        var paths = Enumerable.Range(0, models).Select(i =>
        {
            manual_seed(i + 10);
            var m = new LossLandscape.Models.Mlp(new[] { 4, 5, 3 });
            var p = Path.Combine(dir, $"m{i}.safetensors");
            Checkpoint.Save(m, p);
            return p;
        }).ToArray();
        return (dir, data, paths);
    }

    [Fact]
    public void Interpolate_WritesPointsJsonCsvAndPlot()
    {
        var (dir, data, m) = Files(2);
        var json = Path.Combine(dir, "line.json");
        var csv = Path.Combine(dir, "line.csv");
        var png = Path.Combine(dir, "line.png");
        var (code, output, err) = CliTests.Run("interpolate", "--model", "mlp:4-5-3", "--from", m[0], "--to", m[1], "--data", data, "--test-data", data,
            "--alphas=-1:2:4", "--dtype", "float64", "--json", json, "--csv", csv, "--plot", png);
        code.Should().Be(0, err);
        output.Should().Contain("BatchNorm: eval");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var points = doc.RootElement.GetProperty("points");
        points.GetArrayLength().Should().Be(4);
        points[1].GetProperty("alpha").GetDouble().Should().Be(0);
        var acc = points[1].GetProperty("accuracy").GetDouble();
        acc.Should().BeInRange(0, 1);
        points[1].GetProperty("testLoss").GetDouble().Should().Be(points[1].GetProperty("loss").GetDouble());
        doc.RootElement.GetProperty("batchNorm").GetString().Should().Be("eval");
        File.ReadAllLines(csv).Should().HaveCount(5).And.Contain(l => l.StartsWith("alpha,loss,accuracy,testLoss,testAccuracy"));
        new FileInfo(png).Length.Should().BeGreaterThan(10_000);
    }

    [Fact]
    public void Surface_ShardedAndMerged_EqualsTheSingleRun_AndMergeNamesMissingShards()
    {
        var (dir, data, m) = Files(3);
        string[] Common(params string[] extra) => new[] { "surface", "--model", "mlp:4-5-3", "--checkpoint", m[0], "--data", data, "--x-range", "-1:1:3", "--y-range", "-1:1:3", "--seed", "5" }.Concat(extra).ToArray();
        var whole = Path.Combine(dir, "whole.json");
        CliTests.Run(Common("--json", whole)).Code.Should().Be(0);
        var shards = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"s{i}.json")).ToArray();
        for (int i = 0; i < 3; i++) CliTests.Run(Common("--shard", $"{i}/3", "--json", shards[i])).Code.Should().Be(0);
        var merged = Path.Combine(dir, "merged.json");
        var (code, _, err) = CliTests.Run("merge", shards[2], shards[0], shards[1], "--json", merged, "--csv", Path.Combine(dir, "m.csv"));
        code.Should().Be(0, err);
        var a = JsonDocument.Parse(File.ReadAllText(whole)).RootElement.GetProperty("losses").ToString();
        var b = JsonDocument.Parse(File.ReadAllText(merged)).RootElement.GetProperty("losses").ToString();
        b.Should().Be(a);

        var (code2, _, err2) = CliTests.Run("merge", shards[0], shards[2]);
        code2.Should().Be(2);
        err2.Should().Contain("Shards missing: 1/3");

        var three = Path.Combine(dir, "three.json");
        CliTests.Run(Common("--directions", "three", "--model-b", m[1], "--model-c", m[2], "--json", three)).Code.Should().Be(0);
        JsonDocument.Parse(File.ReadAllText(three)).RootElement.GetProperty("anchors").GetArrayLength().Should().Be(3);
    }

    [Fact]
    public void Sharpness_WithCurvature_ReportsTheSpectrumCommandsTopEigenvalue()
    {
        var (dir, data, m) = Files(1);
        var (c1, _, e1) = CliTests.Run("sharpness", "--model", "mlp:4-5-3", "--checkpoint", m[0], "--data", data, "--steps", "2", "--dtype", "float64",
            "--curvature", "--trace-probes", "50", "--json", Path.Combine(dir, "s.json"));
        c1.Should().Be(0, e1);
        var s = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "s.json"))).RootElement;
        var json = s.TryGetProperty("result", out var inner) ? inner : s;
        double top = json.GetProperty("topEigenvalue").GetDouble();
        double trace = json.GetProperty("trace").GetDouble();
        var (c2, _, e2) = CliTests.Run("spectrum", "--model", "mlp:4-5-3", "--weights", m[0], "--data", data, "--no-such-option", "x");
        c2.Should().Be(2, "an unknown option is bad usage");
        e2.Should().Contain("no-such-option");
        var (c3, _, e3) = CliTests.Run("spectrum", "--model", "mlp:4-5-3", "--weights", m[0], "--data", data, "--dtype", "float64", "--top", "1", "--json", Path.Combine(dir, "sp.json"));
        c3.Should().Be(0, e3);
        double reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sp.json"))).RootElement.GetProperty("eigenvalues")[0].GetDouble();
        top.Should().BeApproximately(reference, 1e-3 * Math.Abs(reference));
        double.IsFinite(trace).Should().BeTrue();
    }

    [Fact]
    public void Trajectory_FindsTheCheckpointsOfATrainRunFolder()
    {
        var run = TestUtil.TempDir();
        foreach (var step in new[] { 2, 10, 4 })
        {
            var d = Path.Combine(run, "checkpoints", $"step-{step:D8}");
            Directory.CreateDirectory(d);
            File.WriteAllText(Path.Combine(d, "model.safetensors"), "");
        }
        File.WriteAllText(Path.Combine(run, "model.safetensors"), "");
        var expected = new[] { 2, 4, 10 }.Select(s => Path.Combine(run, "checkpoints", $"step-{s:D8}", "model.safetensors")).ToArray();
        LossLandscape.Cli.Commands.TrajectoryCommand.CheckpointsIn(run).Should().Equal(expected);
        LossLandscape.Cli.Commands.TrajectoryCommand.CheckpointsIn(Path.Combine(run, "checkpoints")).Should().Equal(expected);
    }

    [Fact]
    public void ConnectSharpnessTrajectory_Run()
    {
        var (dir, data, m) = Files(4);
        var (c1, o1, e1) = CliTests.Run("connect", "--model", "mlp:4-5-3", "--from", m[0], "--to", m[1], "--data", data, "--steps", "5", "--points", "5", "--json", Path.Combine(dir, "c.json"));
        c1.Should().Be(0, e1);
        o1.Should().Contain("barrier: line");
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "c.json"))).RootElement.GetProperty("result").GetProperty("path").GetArrayLength().Should().Be(5);

        var (c2, o2, e2) = CliTests.Run("sharpness", "--model", "mlp:4-5-3", "--checkpoint", m[0], "--data", data, "--steps", "3", "--top-eigenvalue", "1.5", "--json", Path.Combine(dir, "s.json"));
        c2.Should().Be(0, e2);
        o2.Should().Contain("epsilon-sharpness").And.Contain("top eigenvalue: 1.5");

        var (c3, o3, e3) = CliTests.Run("trajectory", "--model", "mlp:4-5-3", "--checkpoints", string.Join(",", m), "--data", data, "--grid", "4", "--plot", Path.Combine(dir, "t.png"));
        c3.Should().Be(0, e3);
        o3.Should().Contain("explained variance");
        File.Exists(Path.Combine(dir, "t.png")).Should().BeTrue();

        // The checkpoints may also come space-separated, as barriers takes them.
        var spaced = new[] { "trajectory", "--model", "mlp:4-5-3", "--checkpoints" }.Concat(m).Concat(new[] { "--data", data, "--grid", "4" }).ToArray();
        var (c4, o4, e4) = CliTests.Run(spaced);
        c4.Should().Be(0, e4);
        o4.Should().Contain("explained variance");
    }

    [Fact]
    public void BadInput_ExitsWithCode2AndAClearMessage()
    {
        var (dir, data, m) = Files(2);
        var r1 = CliTests.Run("interpolate", "--model", "mlp:4-5-3", "--from", m[0], "--to", m[1], "--data", "no-such-set");
        r1.Code.Should().Be(2);
        r1.Err.Should().Contain("Data set 'no-such-set' is not known");
        var r2 = CliTests.Run("interpolate", "--model", "mlp:4-5-3", "--from", m[0], "--to", m[1], "--data", data, "--alphas", "1:2");
        r2.Code.Should().Be(2);
        r2.Err.Should().Contain("START:STOP:COUNT");
        var r3 = CliTests.Run("interpolate", "--model", "mlp:4-5-3", "--from", m[0], "--to", m[1], "--data", data, "--bn", "train");
        r3.Code.Should().Be(2);
        r3.Err.Should().Contain("BatchNorm policy 'train'");
        var r4 = CliTests.Run("surface", "--model", "mlp:4-5-3", "--checkpoint", m[0], "--data", data, "--shard", "0/2");
        r4.Code.Should().Be(2);
        r4.Err.Should().Contain("--shard needs --json");
        var r5 = CliTests.Run("interpolate", "--model", "mlp:4-6-3", "--from", m[0], "--to", m[1], "--data", data);
        r5.Code.Should().Be(2);
    }
}
