using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>Directions in weight space for line and plane scans.</summary>
public static class Directions
{
    /// <summary>A Gaussian N(0, I) direction drawn from <paramref name="generator"/>.</summary>
    public static Tensor Random(ParameterSpace space, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        return space.Randn(generator);
    }

    /// <summary>
    /// Filter normalization (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"): every filter of
    /// <paramref name="direction"/> rescaled to the norm of the matching filter of <paramref name="theta"/>.
    /// </summary>
    /// <remarks>
    /// A filter is one slice along the first dimension of a weight with two or more dimensions (a row of a Linear
    /// weight, an output channel of a convolution): d_f &lt;- d_f |theta_f| / |d_f|. One-dimensional parameters (biases,
    /// BatchNorm scales and shifts) get a zero direction, or, with <paramref name="includeBiasAndBatchNorm"/>, are
    /// rescaled as one block to the norm of the matching block of theta. A zero filter of the direction stays zero.
    /// Returns a new vector.
    /// </remarks>
    public static Tensor FilterNormalize(ParameterSpace space, Tensor direction, Tensor theta, bool includeBiasAndBatchNorm = false)
    {
        ArgumentNullException.ThrowIfNull(space);
        PlaneBasis.Check(space, direction, nameof(direction));
        PlaneBasis.Check(space, theta, nameof(theta));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var result = direction.clone();
        var ds = space.Split(result);
        var ts = space.Split(theta);
        for (int i = 0; i < ds.Length; i++)
        {
            var d = ds[i];
            var t = ts[i];
            if (space.Blocks[i].IsFilterBank)
            {
                var d2 = d.reshape(d.shape[0], -1);
                var t2 = t.reshape(t.shape[0], -1);
                var dn = d2.norm(1, true);
                var tn = t2.norm(1, true);
                var scale = where(dn.gt(0), tn / dn.clamp_min(double.Epsilon), zeros_like(dn));
                d.copy_((d2 * scale).view(d.shape));
            }
            else if (includeBiasAndBatchNorm)
            {
                double dn = ParameterSpace.Norm(d);
                double tn = ParameterSpace.Norm(t);
                if (dn > 0) d.mul_(tn / dn);
            }
            else
            {
                d.zero_();
            }
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>A Gaussian direction, filter-normalized against <paramref name="theta"/> (<see cref="FilterNormalize"/>).</summary>
    public static Tensor FilterNormalized(ParameterSpace space, Tensor theta, Generator? generator = null, bool includeBiasAndBatchNorm = false)
    {
        using var scope = NewDisposeScope();
        var d = Random(space, generator);
        return FilterNormalize(space, d, theta, includeBiasAndBatchNorm).MoveToOuterDisposeScope();
    }

    /// <summary>Two random Gaussian directions through <paramref name="origin"/> (the plane owns copies; dispose it).</summary>
    public static PlaneBasis RandomPlane(ParameterSpace space, Tensor origin, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        return PlaneBasis.Given(space, origin, Random(space, generator), Random(space, generator), "random");
    }

    /// <summary>Two filter-normalized Gaussian directions through <paramref name="origin"/> (Li et al. 2018; the plane owns copies; dispose it).</summary>
    public static PlaneBasis FilterNormalizedPlane(ParameterSpace space, Tensor origin, Generator? generator = null, bool includeBiasAndBatchNorm = false)
    {
        using var scope = NewDisposeScope();
        return PlaneBasis.Given(space, origin,
            FilterNormalized(space, origin, generator, includeBiasAndBatchNorm),
            FilterNormalized(space, origin, generator, includeBiasAndBatchNorm), "filter-normalized");
    }
}
