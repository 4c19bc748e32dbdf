using System.Text.Json.Nodes;
using LossLandscape.Checkpoints;
using LossLandscape.Tests.Cli;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Spectra;

/// <summary><c>llscape trace --shard</c> and <c>llscape density --shard</c>: shards merged equal one process's estimate exactly.</summary>
[Collection("Console")]
public class ProbeShardCliTests
{
    private static (string Dir, string Checkpoint, string Data) Files()
    {
        var dir = TestUtil.TempDir();
        var data = Path.Combine(dir, "data.safetensors");
        var g = new Generator(4);
        Safetensors.Save(data, new Dictionary<string, Tensor>
        {
            ["x"] = randn(new long[] { 20, 4 }, generator: g),
            ["y"] = randint(0, 3, new long[] { 20 }, dtype: ScalarType.Int64, generator: g),
        });
        manual_seed(11);
        var checkpoint = Path.Combine(dir, "m.safetensors");
        Checkpoint.Save(new LossLandscape.Models.Mlp(new[] { 4, 5, 3 }), checkpoint);
        return (dir, checkpoint, data);
    }

    /// <summary>The JSON without its wall-clock seconds (the one field that differs between runs).</summary>
    private static string WithoutSeconds(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        node.Remove("seconds").Should().BeTrue();
        return node.ToJsonString();
    }

    [Fact]
    public void TraceShards_MergeIntoTheSingleRun_ResumeFromAPartialFile_AndRefuseWhatDoesNotBelong()
    {
        var (dir, checkpoint, data) = Files();
        string[] Trace(params string[] extra) =>
            new[] { "trace", "--model", "mlp:4-5-3", "--checkpoint", checkpoint, "--data", data, "--estimator", "hutchinson", "--probes", "7", "--threads", "1" }.Concat(extra).ToArray();
        var single = Path.Combine(dir, "single.json");
        CliTests.Run(Trace("--json", single)).Code.Should().Be(0);
        var shards = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"t{i}.json")).ToArray();
        for (int i = 0; i < 3; i++)
        {
            var (c, o, e) = CliTests.Run(Trace("--shard", $"{i}/3", "--json", shards[i]));
            c.Should().Be(0, e);
            o.Should().Contain($"shard {i}/3: {(i == 0 ? 3 : 2)} of 7 probes");
        }
        CliTests.Run(Trace("--shard", "2/3", "--json", shards[2])).Out.Should().Contain("already complete");

        var merged = Path.Combine(dir, "merged.json");
        var (code, _, err) = CliTests.Run("merge", shards[2], shards[0], shards[1], "--json", merged);
        code.Should().Be(0, err);
        WithoutSeconds(merged).Should().Be(WithoutSeconds(single), "merged shards are the single-process estimate, number for number");
        var samples = JsonNode.Parse(File.ReadAllText(merged))!["samples"]!.AsArray();
        samples.Count.Should().Be(7);

        // A task killed after one of its probes: the partial file holds it; the re-run computes only the others.
        var shard0 = JsonNode.Parse(File.ReadAllText(shards[0]))!.AsObject();
        shard0["points"]!.AsArray().RemoveAt(2);
        shard0["points"]!.AsArray().RemoveAt(1);
        shard0["loss"] = null;
        var again = Path.Combine(dir, "again.json");
        File.WriteAllText(again + ".partial", shard0.ToJsonString());
        var (rc, ro, re) = CliTests.Run(Trace("--shard", "0/3", "--json", again));
        rc.Should().Be(0, re);
        ro.Should().Contain("resumed, 1 probes were already written, 2 computed now");
        File.Exists(again + ".partial").Should().BeFalse();
        CliTests.Run("merge", again, shards[1], shards[2], "--json", merged).Code.Should().Be(0);
        WithoutSeconds(merged).Should().Be(WithoutSeconds(single));

        var (mc, _, me) = CliTests.Run("merge", shards[0], shards[2]);
        mc.Should().Be(2);
        me.Should().Contain("Shards missing: 1/3");
        var otherSeed = Path.Combine(dir, "seed.json");
        CliTests.Run(Trace("--shard", "1/3", "--json", otherSeed, "--seed", "5")).Code.Should().Be(0);
        var (sc, _, se) = CliTests.Run("merge", shards[0], otherSeed, shards[2]);
        sc.Should().Be(2);
        se.Should().Contain("Shard 1/3 was computed from different inputs than shard 0/3");
        var (hc, _, he) = CliTests.Run(Trace("--estimator", "hutch++", "--shard", "0/2", "--json", Path.Combine(dir, "h.json")));
        hc.Should().Be(2);
        he.Should().Contain("Hutch++ does not split").And.Contain("--estimator hutchinson");
        he.Trim().Split('\n').Length.Should().BeLessThan(5, "one message, no stack trace");
        var (nc, _, ne) = CliTests.Run(Trace("--shard", "0/2"));
        nc.Should().Be(2);
        ne.Should().Contain("--shard needs --json");
        var (bc, _, be) = CliTests.Run(Trace("--shard", "3/3", "--json", Path.Combine(dir, "b.json")));
        bc.Should().Be(2);
        be.Should().Contain("Shard '3/3' is not valid");
    }

    [Fact]
    public void DensityShards_MergeIntoTheSingleRun_AndRefuseShardsOfOtherSteps()
    {
        var (dir, checkpoint, data) = Files();
        string[] Density(params string[] extra) =>
            new[] { "density", "--model", "mlp:4-5-3", "--checkpoint", checkpoint, "--data", data, "--probes", "3", "--steps", "6", "--grid", "50", "--threads", "1" }.Concat(extra).ToArray();
        var single = Path.Combine(dir, "single.json");
        CliTests.Run(Density("--json", single)).Code.Should().Be(0);
        var shards = Enumerable.Range(0, 2).Select(i => Path.Combine(dir, $"d{i}.json")).ToArray();
        for (int i = 0; i < 2; i++) CliTests.Run(Density("--shard", $"{i}/2", "--json", shards[i])).Code.Should().Be(0);
        var merged = Path.Combine(dir, "merged.json");
        var (code, output, err) = CliTests.Run("merge", shards[1], shards[0], "--json", merged, "--plot", Path.Combine(dir, "d.svg"));
        code.Should().Be(0, err);
        output.Should().Contain("slq: 18 applications");
        WithoutSeconds(merged).Should().Be(WithoutSeconds(single), "merged shards are the single-process density, number for number");
        File.Exists(Path.Combine(dir, "d.svg")).Should().BeTrue();

        var other = Path.Combine(dir, "other.json");
        CliTests.Run(Density("--shard", "1/2", "--json", other, "--steps", "5")).Code.Should().Be(0);
        var (oc, _, oe) = CliTests.Run("merge", shards[0], other);
        oc.Should().Be(2);
        oe.Should().Contain("different inputs");
        var (xc, _, xe) = CliTests.Run("merge", shards[0], Path.Combine(dir, "nothing.json"));
        xc.Should().Be(2);
        xe.Should().Contain("does not exist");
        var (cc, _, ce) = CliTests.Run(Density("--shard", "0/2", "--json", Path.Combine(dir, "c.json"), "--checkpoint-dir", Path.Combine(dir, "ck")));
        cc.Should().Be(2);
        ce.Should().Contain("--checkpoint-dir does not apply to a shard");
    }
}
