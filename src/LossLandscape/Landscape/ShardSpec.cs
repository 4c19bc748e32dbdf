
namespace LossLandscape.Landscape;

/// <summary>Shard <paramref name="Index"/> of <paramref name="Count"/> (0-based), with a layout.</summary>
/// <param name="Index">The shard's index in [0, Count).</param>
/// <param name="Count">The number of shards.</param>
/// <param name="Layout">How points are assigned.</param>
public sealed record ShardSpec(int Index, int Count, ShardLayout Layout = ShardLayout.RoundRobin)
{
    /// <summary>The whole grid in one shard.</summary>
    public static ShardSpec Single { get; } = new(0, 1);

    /// <summary>The point indices of this shard, ascending.</summary>
    /// <exception cref="LossLandscapeException">The shard is not valid.</exception>
    public IReadOnlyList<int> PointsOf(int total)
    {
        Validate();
        var list = new List<int>();
        if (Layout == ShardLayout.RoundRobin)
        {
            for (int k = Index; k < total; k += Count) list.Add(k);
        }
        else
        {
            long start = (long)Index * total / Count, end = (long)(Index + 1) * total / Count;
            for (long k = start; k < end; k++) list.Add((int)k);
        }
        return list;
    }

    /// <summary>Checks 0 &lt;= Index &lt; Count.</summary>
    /// <exception cref="LossLandscapeException">It does not hold.</exception>
    public void Validate()
    {
        if (Count < 1 || Index < 0 || Index >= Count)
            throw new LossLandscapeException($"Shard {Index}/{Count} is not valid: the index must lie in [0, count) with count >= 1.");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
