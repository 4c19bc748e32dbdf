using MathNet.Numerics.LinearAlgebra;

namespace LossLandscape.Landscape;

/// <summary>A projected trajectory with the loss surface of its plane.</summary>
/// <param name="Points">The checkpoints' coordinates.</param>
/// <param name="ExplainedVariance">The fraction of sum_i |theta_i - theta_final|^2 that each of the two directions explains.</param>
/// <param name="Surface">Loss contours of the plane.</param>
public sealed record TrajectoryResult(IReadOnlyList<TrajectoryPoint> Points, double[] ExplainedVariance, PlaneScanResult Surface);
