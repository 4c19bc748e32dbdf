
namespace LossLandscape.Models;

/// <summary>One row of <see cref="ModelSummary"/>: a leaf module and its own parameters.</summary>
/// <param name="Name">Dotted name of the module.</param>
/// <param name="Type">Its type name.</param>
/// <param name="Parameters">Number of scalar parameters it owns directly.</param>
/// <param name="Shapes">Shapes of those parameters, as text.</param>
public sealed record LayerInfo(string Name, string Type, long Parameters, string Shapes);
