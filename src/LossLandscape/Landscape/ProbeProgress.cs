
namespace LossLandscape.Landscape;

/// <summary>Progress of a probe.</summary>
/// <param name="Done">Points evaluated so far.</param>
/// <param name="Total">Points to evaluate.</param>
public sealed record ProbeProgress(int Done, int Total);
