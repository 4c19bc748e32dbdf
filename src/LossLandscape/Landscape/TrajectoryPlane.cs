using MathNet.Numerics.LinearAlgebra;

namespace LossLandscape.Landscape;

/// <summary>The plane of a training trajectory.</summary>
/// <param name="Plane">origin theta_final, directions u1 and u2 (unit norm, orthogonal).</param>
/// <param name="Points">Every checkpoint's coordinates.</param>
/// <param name="ExplainedVariance">lambda_1 / sum lambda and lambda_2 / sum lambda.</param>
public sealed record TrajectoryPlane(PlaneBasis Plane, IReadOnlyList<TrajectoryPoint> Points, double[] ExplainedVariance) : IDisposable
{
    /// <summary>Frees the plane's vectors.</summary>
    public void Dispose() => Plane.Dispose();
}
