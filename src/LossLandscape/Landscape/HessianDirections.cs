using LossLandscape.Curvature;
using LossLandscape.Parameters;
using LossLandscape.Spectra;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>
/// Directions from curvature: the top eigenvectors of a curvature operator (the Hessian, or its Gauss-Newton part)
/// by Lanczos, for planes along the sharpest directions (<see cref="PlaneBasis.FromProvider"/>).
/// </summary>
public static class HessianDirections
{
    /// <summary>
    /// A provider of the top-k unit eigenvectors of <paramref name="op"/> (largest eigenvalues first), computed by
    /// <see cref="Lanczos"/> with full reorthogonalization from a start vector seeded by <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="LossLandscapeException">The operator's dimension differs from the parameter space's.</exception>
    public static Func<ParameterSpace, int, Tensor[]> Provider(ISymmetricOperator op, long seed = 0, double tolerance = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(op);
        return (space, k) =>
        {
            if (space.Count != op.Dimension)
                throw new LossLandscapeException($"The curvature operator acts on {op.Dimension} parameters, the plane's space has {space.Count}; build both over the same parameters.");
            using var r = Lanczos.Run(op, new LanczosOptions(Top: k, Tolerance: tolerance, Seed: seed, ReturnEigenvectors: true));
            var vs = r.Eigenvectors ?? throw new LossLandscapeException("Lanczos returned no eigenvectors.");
            return vs.Take(k).Select(v => v.to(space.DType, space.Device, copy: true)).ToArray();
        };
    }
}
