
namespace LossLandscape.Landscape;

/// <summary>A named point of a plane in its own coordinates (for example the three models a plane passes through).</summary>
/// <param name="Name">A label.</param>
/// <param name="X">Coordinate along d1.</param>
/// <param name="Y">Coordinate along d2.</param>
public sealed record PlaneAnchor(string Name, double X, double Y);
