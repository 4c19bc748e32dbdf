using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;

namespace LossLandscape.Landscape;

/// <summary>Options of <see cref="Sharpness.Measure"/>.</summary>
public sealed record SharpnessOptions
{
    /// <summary>The box size epsilon: |z_i| &lt;= epsilon (|theta_i| + 1).</summary>
    public double Epsilon { get; init; } = 1e-3;

    /// <summary>Projected ascent steps.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>Step as a fraction of the box half-width per coordinate (full space) or of the subspace radius.</summary>
    public double StepFraction { get; init; } = 0.25;

    /// <summary>Dimension p of a random subspace z = A y, or null for the full space.</summary>
    public int? SubspaceDimension { get; init; }

    /// <summary>Seed of the random subspace.</summary>
    public long Seed { get; init; }

    /// <summary>A known top Hessian eigenvalue, reported beside the sharpness.</summary>
    public double? TopEigenvalue { get; init; }

    /// <summary>A known Hessian trace, reported beside the sharpness.</summary>
    public double? Trace { get; init; }

    /// <summary>Computes the top Hessian eigenvalue at theta (for example a Lanczos run) when <see cref="TopEigenvalue"/> is not given.</summary>
    public Func<ParameterSpace, double>? TopEigenvalueProvider { get; init; }

    /// <summary>Computes the Hessian trace at theta (for example Hutchinson) when <see cref="Trace"/> is not given.</summary>
    public Func<ParameterSpace, double>? TraceProvider { get; init; }
}
