
namespace LossLandscape.Landscape;

/// <summary>What <see cref="ResumableShard.Run"/> did.</summary>
public enum ShardRunState
{
    /// <summary>Every point of the shard was computed by this run.</summary>
    Computed,

    /// <summary>An interrupted run had written some points; this run computed the rest.</summary>
    Resumed,

    /// <summary>The shard file was already complete for the same inputs; nothing was computed.</summary>
    AlreadyComplete,
}
