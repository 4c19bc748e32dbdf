
namespace LossLandscape.Landscape;

/// <summary>How a grid's points are spread over shards.</summary>
public enum ShardLayout
{
    /// <summary>Point k goes to shard k mod n (balances rows of uneven cost).</summary>
    RoundRobin,

    /// <summary>Shard i gets the contiguous range of points [floor(i N / n), floor((i + 1) N / n)).</summary>
    Contiguous,
}
