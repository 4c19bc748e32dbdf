
namespace LossLandscape.Checkpoints;

/// <summary>Options for <see cref="Checkpoint.Load"/>.</summary>
/// <param name="AllowNonFinite">Accept weights that hold NaN or Inf (refused by default).</param>
/// <param name="Strict">Refuse missing and unexpected keys (default). When false, only matching keys are loaded.</param>
public sealed record CheckpointLoadOptions(bool AllowNonFinite = false, bool Strict = true);
