
namespace LossLandscape.Landscape;

/// <summary>The outcome of <see cref="ResumableShard.Run"/> and <see cref="ResumableShard.RunLine"/>.</summary>
/// <typeparam name="TShard">The shard type (<see cref="GridShard"/> or <see cref="LineShard"/>).</typeparam>
/// <param name="Shard">The complete shard (as written to the shard file).</param>
/// <param name="State">Whether it was computed, resumed or already there.</param>
/// <param name="PointsBefore">Points found from an earlier run and not computed again.</param>
/// <param name="PointsComputed">Points this run computed.</param>
public sealed record ShardRun<TShard>(TShard Shard, ShardRunState State, int PointsBefore, int PointsComputed);
