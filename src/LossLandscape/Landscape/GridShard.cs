namespace LossLandscape.Landscape;

/// <summary>
/// One shard of a plane scan: the grid definition, which shard it is, a fingerprint of the inputs, and the values of its
/// points (with their indices). Shards are merged by <see cref="GridMerge.Merge"/>.
/// </summary>
/// <param name="Format">The shard file format version.</param>
/// <param name="Fingerprint">SHA-256 of the inputs (<see cref="LandscapeProbe.Fingerprint"/>).</param>
/// <param name="Grid">The whole grid.</param>
/// <param name="Shard">Which shard this is.</param>
/// <param name="Kind">The plane's kind.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="HasTest">Whether test values were measured.</param>
/// <param name="Anchors">Named points of the plane.</param>
/// <param name="Points">This shard's points.</param>
public sealed record GridShard(int Format, string Fingerprint, GridSpec Grid, ShardSpec Shard, string Kind, string BatchNorm, string Loss,
    bool HasTest, IReadOnlyList<PlaneAnchor> Anchors, IReadOnlyList<GridPointValue> Points)
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;
}
