using MathNet.Numerics.LinearAlgebra;

namespace LossLandscape.Landscape;

/// <summary>One checkpoint of a training run projected onto the trajectory plane.</summary>
/// <param name="Index">Position in the run (0 = first checkpoint).</param>
/// <param name="Name">A label (for example the file name).</param>
/// <param name="X">Coordinate along the first principal direction: (theta_i - theta_final) . u1.</param>
/// <param name="Y">Coordinate along the second: (theta_i - theta_final) . u2.</param>
public sealed record TrajectoryPoint(int Index, string Name, double X, double Y);
