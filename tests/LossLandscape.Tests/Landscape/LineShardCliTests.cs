using LossLandscape.Checkpoints;
using LossLandscape.Tests.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Landscape;

[Collection("Console")]
public class LineShardCliTests
{
    [Fact]
    public void InterpolateShards_MergeIntoTheSingleRunsCsv_AndARerunSkipsACompleteShard()
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var g = new Generator(3);
        Safetensors.Save(data, new Dictionary<string, Tensor>
        {
            ["x"] = randn(new long[] { 24, 4 }, generator: g),
            ["y"] = randint(0, 3, new long[] { 24 }, dtype: ScalarType.Int64, generator: g),
        });
        var m = Enumerable.Range(0, 2).Select(i =>
        {
            manual_seed(i + 20);
            var p = Path.Combine(dir, $"m{i}.safetensors");
            Checkpoint.Save(new LossLandscape.Models.Mlp(new[] { 4, 5, 3 }), p);
            return p;
        }).ToArray();
        string[] Line(params string[] extra) => new[] { "interpolate", "--model", "mlp:4-5-3", "--from", m[0], "--to", m[1], "--data", data, "--alphas=-1:2:5" }.Concat(extra).ToArray();

        var single = Path.Combine(dir, "single.csv");
        CliTests.Run(Line("--csv", single)).Code.Should().Be(0);
        var shards = Enumerable.Range(0, 2).Select(i => Path.Combine(dir, $"l{i}.json")).ToArray();
        for (int i = 0; i < 2; i++)
        {
            var (c, o, e) = CliTests.Run(Line("--shard", $"{i}/2", "--json", shards[i]));
            c.Should().Be(0, e);
            o.Should().Contain($"shard {i}/2: {(i == 0 ? 3 : 2)} of 5 points");
        }
        CliTests.Run(Line("--shard", "1/2", "--json", shards[1])).Out.Should().Contain("already complete");

        var merged = Path.Combine(dir, "merged.csv");
        var (code, output, err) = CliTests.Run("merge", shards[1], shards[0], "--csv", merged, "--json", Path.Combine(dir, "merged.json"));
        code.Should().Be(0, err);
        output.Should().Contain("line: 5 points");
        File.ReadAllText(merged).Should().Be(File.ReadAllText(single));

        var (code2, _, err2) = CliTests.Run("merge", shards[0]);
        code2.Should().Be(2);
        err2.Should().Contain("Shards missing: 1/2");
        var (code3, _, err3) = CliTests.Run(Line("--shard", "0/2"));
        code3.Should().Be(2);
        err3.Should().Contain("--shard needs --json");
    }
}
