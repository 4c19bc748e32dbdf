using LossLandscape.IO;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;
using static LossLandscape.Tests.Landscape.LandscapeTestUtil;

namespace LossLandscape.Tests.Landscape;

public class ResumableShardTests
{
    /// <summary>Stops a scan after a number of points, as a killed task stops (the partial file is saved before the report).</summary>
    private sealed class KillAfter(int points) : IProgress<ProbeProgress>
    {
        public void Report(ProbeProgress value)
        {
            if (value.Done >= points) throw new OperationCanceledException($"killed after {points} points");
        }
    }

    private static (LandscapeProbe Probe, PlaneBasis Plane, GridSpec Grid, Func<IProgress<ProbeProgress>?, LandscapeProbe> With) Setup()
    {
        var model = BatchNormNet(3);
        var space = new ParameterSpace(model);
        var data = Toy(p: 24);
        var options = new ProbeOptions { RecomputeBatchSize = 8, RecomputeBatches = 2 };
        var probe = new LandscapeProbe(model, data, null, options, space);
        var plane = Directions.FilterNormalizedPlane(space, space.Get(), new Generator(4));
        var grid = new GridSpec(-1, 1, 5, -0.5, 0.5, 4);
        return (probe, plane, grid, p => new LandscapeProbe(model, data, null, options with { Progress = p }, space));
    }

    [Fact]
    public void KilledShard_ResumesFromItsPartialFile_AndWritesTheSameBytesAsAnUninterruptedRun()
    {
        var (probe, plane, grid, with) = Setup();
        var shard = new ShardSpec(1, 3);
        var dir = TestUtil.TempDir();
        var whole = Path.Combine(dir, "whole.json");
        var first = ResumableShard.Run(probe, plane, grid, shard, whole, TimeSpan.Zero);
        first.State.Should().Be(ShardRunState.Computed);
        first.PointsComputed.Should().Be(7);
        File.Exists(ResumableShard.PartialPath(whole)).Should().BeFalse();

        var path = Path.Combine(dir, "s1.json");
        FluentActions.Invoking(() => ResumableShard.Run(with(new KillAfter(3)), plane, grid, shard, path, TimeSpan.Zero))
            .Should().Throw<OperationCanceledException>();
        File.Exists(path).Should().BeFalse("a killed task never leaves a shard file");
        LandscapeFiles.ReadShard(ResumableShard.PartialPath(path)).Points.Select(p => p.Index).Should().Equal(1, 4, 7);

        var resumed = ResumableShard.Run(probe, plane, grid, shard, path, TimeSpan.Zero);
        resumed.State.Should().Be(ShardRunState.Resumed);
        resumed.PointsBefore.Should().Be(3);
        resumed.PointsComputed.Should().Be(4);
        File.ReadAllBytes(path).Should().Equal(File.ReadAllBytes(whole));
        File.Exists(ResumableShard.PartialPath(path)).Should().BeFalse();
    }

    [Fact]
    public void CompleteShard_IsNotComputedAgain_AndResumedShardsMergeIntoTheSingleProcessGrid()
    {
        var (probe, plane, grid, with) = Setup();
        var dir = TestUtil.TempDir();
        var paths = Enumerable.Range(0, 4).Select(i => Path.Combine(dir, $"shard-{i}.json")).ToArray();
        for (int i = 0; i < 4; i++)
        {
            // Every shard killed once after its first point, then re-run.
            var shard = new ShardSpec(i, 4, ShardLayout.Contiguous);
            FluentActions.Invoking(() => ResumableShard.Run(with(new KillAfter(1)), plane, grid, shard, paths[i], TimeSpan.Zero))
                .Should().Throw<OperationCanceledException>();
            ResumableShard.Run(probe, plane, grid, shard, paths[i], TimeSpan.Zero).State.Should().Be(ShardRunState.Resumed);
        }
        var stamp = File.GetLastWriteTimeUtc(paths[2]);
        var again = ResumableShard.Run(with(new KillAfter(1)), plane, grid, new ShardSpec(2, 4, ShardLayout.Contiguous), paths[2], TimeSpan.Zero);
        again.State.Should().Be(ShardRunState.AlreadyComplete);
        again.PointsComputed.Should().Be(0);
        File.GetLastWriteTimeUtc(paths[2]).Should().Be(stamp);

        var merged = GridMerge.Merge(paths.Select(LandscapeFiles.ReadShard).ToArray());
        var single = probe.ScanPlane(plane, grid);
        ResultFiles.ToJson(merged).Should().Be(ResultFiles.ToJson(single));
    }

    [Fact]
    public void PartialOrCompleteFilesOfOtherInputs_AreComputedAgain_NeverMixedIn()
    {
        var (probe, plane, grid, with) = Setup();
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "s0.json");
        var shard = new ShardSpec(0, 2);

        // A partial file of another grid, and one of another shard count, are ignored.
        var otherGrid = new GridSpec(-2, 2, 5, -0.5, 0.5, 4);
        FluentActions.Invoking(() => ResumableShard.Run(with(new KillAfter(2)), plane, otherGrid, shard, path, TimeSpan.Zero))
            .Should().Throw<OperationCanceledException>();
        var r = ResumableShard.Run(probe, plane, grid, shard, path, TimeSpan.Zero);
        r.State.Should().Be(ShardRunState.Computed);
        r.PointsComputed.Should().Be(10);

        // A complete shard of another plane is replaced.
        var otherPlane = Directions.RandomPlane(probe.Space, probe.Space.Get(), new Generator(9));
        var other = ResumableShard.Run(probe, otherPlane, grid, shard, path, TimeSpan.Zero);
        other.State.Should().Be(ShardRunState.Computed);
        LandscapeFiles.ReadShard(path).Fingerprint.Should().Be(probe.Fingerprint(otherPlane, grid)).And.NotBe(probe.Fingerprint(plane, grid));

        // A partial file that is not a shard (a torn or foreign file) is ignored too.
        File.WriteAllText(ResumableShard.PartialPath(path), "{ \"points\": [");
        ResumableShard.Run(probe, plane, grid, shard, path, TimeSpan.Zero).State.Should().Be(ShardRunState.Computed);
    }

    /// <summary>Throws at the n-th progress report (a line scan reports once per point, before the point is saved).</summary>
    private sealed class KillAtReport(int n) : IProgress<ProbeProgress>
    {
        private int reports;

        public void Report(ProbeProgress value)
        {
            if (++reports == n) throw new OperationCanceledException($"killed at report {n}");
        }
    }

    [Fact]
    public void LineShards_KilledAndResumed_MergeIntoTheSingleProcessLine_Exactly_AndMergeNamesMissingShards()
    {
        var model = BatchNormNet(3);
        var space = new ParameterSpace(model);
        var data = Toy(p: 24);
        var options = new ProbeOptions { BatchNorm = BatchNormPolicy.InterpolateStatistics };
        var probe = new LandscapeProbe(model, data, Toy(p: 12, seed: 7), options, space);
        var a = ModelPoint.Capture(space);
        var b = ModelPoint.Capture(new ParameterSpace(BatchNormNet(4)));
        var alphas = Alphas.Linspace(-0.5, 1.5, 9);
        var single = probe.Interpolate(a, b, alphas, normPreserving: true);

        var dir = TestUtil.TempDir();
        var paths = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"line-{i}.json")).ToArray();
        var killer = new LandscapeProbe(model, probe.Train, probe.Test, options with { Progress = new KillAtReport(3) }, space);
        FluentActions.Invoking(() => ResumableShard.RunLine(killer, a, b, alphas, true, new ShardSpec(1, 3), paths[1], TimeSpan.Zero))
            .Should().Throw<OperationCanceledException>();
        LandscapeFiles.ReadLineShard(ResumableShard.PartialPath(paths[1])).Points.Select(p => p.Index).Should().Equal(1, 4);
        LandscapeFiles.IsLineShard(ResumableShard.PartialPath(paths[1])).Should().BeTrue();
        var resumed = ResumableShard.RunLine(probe, a, b, alphas, true, new ShardSpec(1, 3), paths[1], TimeSpan.Zero);
        resumed.State.Should().Be(ShardRunState.Resumed);
        resumed.PointsBefore.Should().Be(2);
        resumed.PointsComputed.Should().Be(1);
        for (int i = 0; i < 3; i += 2) ResumableShard.RunLine(probe, a, b, alphas, true, new ShardSpec(i, 3), paths[i], TimeSpan.Zero).State.Should().Be(ShardRunState.Computed);
        ResumableShard.RunLine(probe, a, b, alphas, true, new ShardSpec(2, 3), paths[2], TimeSpan.Zero).State.Should().Be(ShardRunState.AlreadyComplete);

        var merged = LineMerge.Merge(paths.Reverse().Select(LandscapeFiles.ReadLineShard).ToArray());
        ResultFiles.ToJson(merged).Should().Be(ResultFiles.ToJson(single));
        FluentActions.Invoking(() => LineMerge.Merge(new[] { LandscapeFiles.ReadLineShard(paths[0]) }))
            .Should().Throw<LossLandscapeException>().WithMessage("Shards missing: 1/3, 2/3*");
        var plain = LineShards.Scan(probe, a, b, alphas, false, new ShardSpec(1, 3));
        FluentActions.Invoking(() => LineMerge.Merge(new[] { LandscapeFiles.ReadLineShard(paths[0]), plain, LandscapeFiles.ReadLineShard(paths[2]) }))
            .Should().Throw<LossLandscapeException>().WithMessage("*different inputs*");
        LandscapeFiles.IsLineShard(paths[0]).Should().BeTrue();
    }

    [Fact]
    public void ScanShard_RejectsDonePointsOfAnotherShard()
    {
        var (probe, plane, grid, _) = Setup();
        var foreign = new[] { new GridPointValue(1, 0.5, 0.5, null, null) };
        FluentActions.Invoking(() => probe.ScanShard(plane, grid, new ShardSpec(0, 2), foreign, null))
            .Should().Throw<LossLandscapeException>().WithMessage("Point 1 does not belong to shard 0/2*");
    }
}
