using System.Text.Json;
using LossLandscape.Checkpoints;
using LossLandscape.Landscape;
using LossLandscape.Tests.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Landscape;

/// <summary><c>llscape barriers</c>: the matrix against direct line scans, its shards merged, and bad input.</summary>
[Collection("Console")]
public class BarriersCliTests
{
    [Fact]
    public void Barriers_MatchDirectLineScans_AndShardsMergeIntoTheSingleRun()
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var test = Path.Combine(dir, "test.safetensors");
        var g = new Generator(5);
        foreach (var f in new[] { data, test })
            Safetensors.Save(f, new Dictionary<string, Tensor>
            {
                ["x"] = randn(new long[] { 24, 4 }, generator: g),
                ["y"] = randint(0, 3, new long[] { 24 }, dtype: ScalarType.Int64, generator: g),
            });
        var m = Enumerable.Range(0, 3).Select(i =>
        {
            manual_seed(i + 30);
            var p = Path.Combine(dir, $"m{i}.safetensors");
            Checkpoint.Save(new LossLandscape.Models.Mlp(new[] { 4, 5, 3 }), p);
            return p;
        }).ToArray();
        string[] Barriers(params string[] extra) =>
            new[] { "barriers", "--model", "mlp:4-5-3", "--checkpoints", m[0], m[1], m[2], "--data", data, "--test-data", test, "--alphas", "0:1:5", "--threads", "1" }.Concat(extra).ToArray();

        var single = Path.Combine(dir, "single.json");
        var (code, output, err) = CliTests.Run(Barriers("--json", single, "--csv", Path.Combine(dir, "single.csv")));
        code.Should().Be(0, err);
        output.Should().Contain("3 models, 3 pairs, 5 coefficients each");
        var matrix = JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(single));

        // Each pair against the line scan of llscape interpolate between the same two models, and the barrier definitions.
        var pairs = matrix.GetProperty("pairs");
        pairs.GetArrayLength().Should().Be(3);
        foreach (var (a, b, q) in new[] { (0, 1, 0), (0, 2, 1), (1, 2, 2) })
        {
            var line = Path.Combine(dir, $"line{a}{b}.json");
            CliTests.Run("interpolate", "--model", "mlp:4-5-3", "--from", m[a], "--to", m[b], "--data", data, "--test-data", test, "--alphas", "0:1:5", "--threads", "1", "--json", line).Code.Should().Be(0);
            var points = JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(line)).GetProperty("points").EnumerateArray().ToArray();
            double[] Of(string name) => points.Select(p => p.GetProperty(name).GetDouble()).ToArray();
            var pair = pairs[q];
            pair.GetProperty("a").GetInt32().Should().Be(a);
            pair.GetProperty("b").GetInt32().Should().Be(b);
            pair.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("loss").GetDouble()).Should().Equal(Of("loss"));
            var train = pair.GetProperty("train");
            train.GetProperty("lossAboveHigherEnd").GetDouble().Should().Be(LossLandscape.Landscape.Barriers.AboveHigherEnd(Of("loss")));
            train.GetProperty("lossAboveMeanOfEnds").GetDouble().Should().Be(LossLandscape.Landscape.Barriers.AboveMeanOfEnds(Of("loss")));
            var errors = Of("accuracy").Select(x => 1 - x).ToArray();
            train.GetProperty("errorAboveHigherEnd").GetDouble().Should().Be(errors.Max() - Math.Max(errors[0], errors[^1]));
            train.GetProperty("errorAboveMeanOfEnds").GetDouble().Should().Be(errors.Max() - 0.5 * (errors[0] + errors[^1]));
            var testLoss = Of("testLoss");
            pair.GetProperty("test").GetProperty("lossAboveMeanOfEnds").GetDouble().Should().Be(testLoss.Max() - 0.5 * (testLoss[0] + testLoss[^1]));
            matrix.GetProperty("matrices").GetProperty("trainLossAboveMeanOfEnds")[b][a].GetDouble().Should().Be(train.GetProperty("lossAboveMeanOfEnds").GetDouble());
        }
        matrix.GetProperty("matrices").GetProperty("testErrorAboveHigherEnd")[1][1].GetDouble().Should().Be(0);

        // 15 points over 4 shards, merged: the single-process files byte for byte.
        var shards = Enumerable.Range(0, 4).Select(i => Path.Combine(dir, $"b{i}.json")).ToArray();
        for (int i = 0; i < 4; i++)
        {
            var (c, o, e) = CliTests.Run(Barriers("--shard", $"{i}/4", "--json", shards[i]));
            c.Should().Be(0, e);
            o.Should().Contain($"shard {i}/4: {(i < 3 ? 4 : 3)} of 15 points");
        }
        var merged = Path.Combine(dir, "merged.json");
        var (mc, _, me) = CliTests.Run("merge", shards[3], shards[1], shards[0], shards[2], "--json", merged, "--csv", Path.Combine(dir, "merged.csv"));
        mc.Should().Be(0, me);
        File.ReadAllText(merged).Should().Be(File.ReadAllText(single));
        File.ReadAllText(Path.Combine(dir, "merged.csv")).Should().Be(File.ReadAllText(Path.Combine(dir, "single.csv")));

        var (c2, _, e2) = CliTests.Run("merge", shards[0], shards[2]);
        c2.Should().Be(2);
        e2.Should().Contain("Shards missing: 1/4, 3/4");
        var swapped = Path.Combine(dir, "swapped.json");
        CliTests.Run(new[] { "barriers", "--model", "mlp:4-5-3", "--checkpoints", m[1], m[0], m[2], "--data", data, "--test-data", test, "--alphas", "0:1:5", "--threads", "1", "--shard", "1/4", "--json", swapped }).Code.Should().Be(0);
        var (c3, _, e3) = CliTests.Run("merge", shards[0], swapped, shards[2], shards[3]);
        c3.Should().Be(2);
        e3.Should().Contain("different inputs").And.Contain("checkpoints");
        var (c4, _, e4) = CliTests.Run("merge", shards[0], Path.Combine(dir, "line01.json"));
        c4.Should().Be(2);
        e4.Should().Contain("are not shards of one kind");
    }

    [Fact]
    public void Barriers_BadInput_IsOneMessageWithExitCode2()
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var g = new Generator(6);
        Safetensors.Save(data, new Dictionary<string, Tensor>
        {
            ["x"] = randn(new long[] { 12, 4 }, generator: g),
            ["y"] = randint(0, 3, new long[] { 12 }, dtype: ScalarType.Int64, generator: g),
        });
        var m = Path.Combine(dir, "m.safetensors");
        Checkpoint.Save(new LossLandscape.Models.Mlp(new[] { 4, 5, 3 }), m);
        foreach (var (args, message) in new[]
        {
            (new[] { "--checkpoints", m }, "--checkpoints needs at least 2 checkpoints"),
            (new[] { "--checkpoints", m, m, "--alphas=-1:2:5" }, "Barriers need coefficients from 0 to 1"),
            (new[] { "--checkpoints", m, m, "--alphas", "0,0.7,0.5,1" }, "strictly increasing"),
            (new[] { "--checkpoints", m, Path.Combine(dir, "missing.safetensors") }, "missing.safetensors"),
            (new[] { "--checkpoints", m, m, "--shard", "0/2" }, "--shard needs --json"),
            (new[] { "--checkpoints", m, m, "--plot", Path.Combine(dir, "p.png") }, "--plot is not available for barriers"),
        })
        {
            var (code, _, err) = CliTests.Run(new[] { "barriers", "--model", "mlp:4-5-3", "--data", data, "--threads", "1" }.Concat(args).ToArray());
            code.Should().Be(2, string.Join(" ", args));
            err.Should().Contain(message);
            err.Should().NotContain("   at ", "no stack trace");
        }
    }
}
