using System.Globalization;

namespace LossLandscape.Landscape;

/// <summary>The result of a line scan.</summary>
/// <param name="Kind"><c>between</c> (two models) or <c>direction</c> (a point and a direction).</param>
/// <param name="NormPreserving">Whether the norm-preserving variant was used.</param>
/// <param name="BatchNorm">The BatchNorm policy used (<c>eval</c>, <c>interpolate</c>, <c>recompute</c>).</param>
/// <param name="Loss">The loss name.</param>
/// <param name="NormA">|theta_A| (or |origin|).</param>
/// <param name="NormB">|theta_B| (or |direction|).</param>
/// <param name="Points">The points, in the order of the coefficients.</param>
public sealed record LineScanResult(string Kind, bool NormPreserving, string BatchNorm, string Loss, double NormA, double NormB, IReadOnlyList<LinePoint> Points);
