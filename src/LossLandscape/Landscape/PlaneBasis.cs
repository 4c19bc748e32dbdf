using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>A plane in weight space: theta(x, y) = Origin + x D1 + y D2.</summary>
/// <param name="Origin">theta at (0, 0).</param>
/// <param name="D1">First direction.</param>
/// <param name="D2">Second direction.</param>
/// <param name="Kind">How the directions were made: <c>random</c>, <c>filter-normalized</c>, <c>given</c>, <c>hessian</c>, <c>three-models</c>, <c>pca</c>.</param>
/// <param name="Anchors">Named points of the plane in its coordinates (empty when none).</param>
/// <remarks>The plane owns its three vectors; <see cref="Dispose"/> frees them.</remarks>
public sealed record PlaneBasis(Tensor Origin, Tensor D1, Tensor D2, string Kind, IReadOnlyList<PlaneAnchor> Anchors) : IDisposable
{
    /// <summary>Frees the origin and the two directions.</summary>
    public void Dispose()
    {
        Origin.Dispose();
        D1.Dispose();
        D2.Dispose();
    }

    /// <summary>
    /// The plane through three models, origin at A: u = B - A, v = C - A; d1 = u/|u|, d2 = (v - (v.d1) d1)/|v - (v.d1) d1|
    /// (Gram-Schmidt, float64 coefficients). The anchors are A = (0, 0), B = (|u|, 0), C = (v.d1, v.d2).
    /// </summary>
    /// <exception cref="LossLandscapeException">Shapes differ, or the three points are (nearly) collinear or coincide.</exception>
    public static PlaneBasis ThroughThree(Tensor a, Tensor b, Tensor c, string nameA = "A", string nameB = "B", string nameC = "C")
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (!a.shape.SequenceEqual(b.shape) || !a.shape.SequenceEqual(c.shape) || a.dim() != 1)
            throw new LossLandscapeException("The three models must be flat vectors of the same length (same architecture).");
        using var scope = NewDisposeScope();
        var u = b - a;
        var v = c - a;
        double nu = ParameterSpace.Norm(u);
        if (nu == 0) throw new LossLandscapeException("Models A and B coincide: a plane needs three distinct, non-collinear models.");
        var d1 = u / nu;
        double v1 = ParameterSpace.Dot(v, d1);
        var w = v - d1 * v1;
        double nw = ParameterSpace.Norm(w);
        if (nw <= 1e-12 * Math.Max(ParameterSpace.Norm(v), 1e-300))
            throw new LossLandscapeException("The three models are collinear: they do not span a plane.");
        var d2 = w / nw;
        double v2 = ParameterSpace.Dot(v, d2);
        var origin = a.clone();
        return new PlaneBasis(origin.MoveToOuterDisposeScope(), d1.MoveToOuterDisposeScope(), d2.MoveToOuterDisposeScope(), "three-models",
            new[] { new PlaneAnchor(nameA, 0, 0), new PlaneAnchor(nameB, nu, 0), new PlaneAnchor(nameC, v1, v2) });
    }

    /// <summary>
    /// The plane through <paramref name="origin"/> along the first two vectors <paramref name="provider"/> returns, for
    /// example the top Hessian eigenvectors from a Lanczos run: <c>provider(space, 2)</c> (the vectors it returns are
    /// copied into the plane and then freed).
    /// </summary>
    /// <exception cref="LossLandscapeException">The provider returns fewer than two vectors or vectors of the wrong length.</exception>
    public static PlaneBasis FromProvider(ParameterSpace space, Tensor origin, Func<ParameterSpace, int, Tensor[]> provider, string kind = "hessian")
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(provider);
        var vs = provider(space, 2) ?? throw new LossLandscapeException("The direction provider returned nothing.");
        try
        {
            if (vs.Length < 2) throw new LossLandscapeException($"The direction provider returned {vs.Length} vector(s); a plane needs two.");
            return Given(space, origin, vs[0], vs[1], kind);
        }
        finally
        {
            foreach (var v in vs) v.Dispose();
        }
    }

    /// <summary>The plane through <paramref name="origin"/> along two given directions (used as they are, copied: the caller keeps its tensors).</summary>
    /// <exception cref="LossLandscapeException">A vector has the wrong length or dtype.</exception>
    public static PlaneBasis Given(ParameterSpace space, Tensor origin, Tensor d1, Tensor d2, string kind = "given")
    {
        ArgumentNullException.ThrowIfNull(space);
        Check(space, origin, "origin");
        Check(space, d1, "d1");
        Check(space, d2, "d2");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return new PlaneBasis(origin.detach().clone().DetachFromDisposeScope(), d1.detach().clone().DetachFromDisposeScope(), d2.detach().clone().DetachFromDisposeScope(), kind, Array.Empty<PlaneAnchor>());
    }

    internal static void Check(ParameterSpace space, Tensor v, string name)
    {
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.dim() != 1 || v.shape[0] != space.Count)
            throw new LossLandscapeException($"'{name}' must be a 1-D vector of {space.Count} elements (the parameter count); got shape [{string.Join(", ", v.shape)}].");
        if (v.dtype != space.DType)
            throw new LossLandscapeException($"'{name}' has dtype {v.dtype}, the parameters are {space.DType}; convert it first.");
    }
}
