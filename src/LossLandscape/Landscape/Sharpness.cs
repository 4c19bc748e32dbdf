using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>
/// Keskar et al. (2017) epsilon-sharpness: 100 (max_{z in C} f(theta + z) - f(theta)) / (1 + f(theta)) over the box
/// C = { z : |z_i| &lt;= epsilon (|theta_i| + 1) }, in the full space or in a random subspace.
/// </summary>
public static class Sharpness
{
    /// <summary>Measures the epsilon-sharpness at <paramref name="theta"/> (the model is put back afterwards).</summary>
    /// <remarks>
    /// The maximization is projected gradient ascent with a fixed number of steps (Keskar et al. used L-BFGS-B). With
    /// the bound b_i = epsilon (|theta_i| + 1):
    /// <para>Full space: z_0 = 0; z_{k+1} = clamp(z_k + eta b o sign(g_k), -b, b), g_k = grad f(theta + z_k),
    /// eta = <see cref="SharpnessOptions.StepFraction"/>: steepest ascent for the box's infinity-norm geometry, then the
    /// exact projection onto the box.</para>
    /// <para>Random subspace of dimension p: z = A y with A in R^{M x p} Gaussian with unit-norm columns (seeded). y_0 = 0;
    /// y &lt;- y + eta r sign(A^T g) with r = |b|_2 / sqrt(p); then z = A y is pulled back into the box by scaling y with
    /// s = min(1, min_i b_i / |z_i|) (the largest feasible point on the ray, so z stays in both the subspace and the
    /// box).</para>
    /// f is the mean loss over the whole training set, evaluated as the probe evaluates points (BatchNorm policy
    /// included); the maximum is taken over every iterate.
    /// </remarks>
    /// <exception cref="LossLandscapeException">Bad epsilon, step count, step fraction or subspace dimension.</exception>
    public static SharpnessResult Measure(LandscapeProbe probe, Tensor theta, SharpnessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var o = options ?? new SharpnessOptions();
        var space = probe.Space;
        PlaneBasis.Check(space, theta, nameof(theta));
        if (!(o.Epsilon > 0) || !double.IsFinite(o.Epsilon)) throw new LossLandscapeException($"Epsilon must be positive; got {o.Epsilon}.");
        if (o.Steps < 1) throw new LossLandscapeException($"Sharpness needs at least one ascent step; got {o.Steps}.");
        if (!(o.StepFraction > 0) || !double.IsFinite(o.StepFraction)) throw new LossLandscapeException($"Step fraction must be positive; got {o.StepFraction}.");
        if (o.SubspaceDimension is int p0 && (p0 < 1 || p0 > space.Count))
            throw new LossLandscapeException($"Subspace dimension must be between 1 and {space.Count}; got {p0}.");
        if (probe.Policy == BatchNormPolicy.InterpolateStatistics)
            throw new LossLandscapeException("BatchNorm policy 'interpolate' needs two models; choose eval or recompute for sharpness.");

        var ascent = new List<double>();
        double baseLoss, maxLoss = double.NegativeInfinity, maxNorm = 0;
        double? top = o.TopEigenvalue, trace = o.Trace;
        using (space.Preserve())
        {
            space.Set(theta);
            baseLoss = probe.MeasureCurrent().Loss;
            if (top is null && o.TopEigenvalueProvider is not null) top = o.TopEigenvalueProvider(space);
            if (trace is null && o.TraceProvider is not null) trace = o.TraceProvider(space);

            using var outer = NewDisposeScope();
            var bound = theta.abs().add_(1).mul_(o.Epsilon);
            Tensor? a = null;
            Tensor? y = null;
            double radius = 0;
            if (o.SubspaceDimension is int p)
            {
                using var gen = new Generator((ulong)o.Seed, device: space.Device);
                a = randn(new[] { space.Count, (long)p }, dtype: space.DType, device: space.Device, generator: gen);
                a.div_(a.norm(0, true));
                y = zeros(p, dtype: space.DType, device: space.Device);
                radius = ParameterSpace.Norm(bound) / Math.Sqrt(p);
            }
            var z = zeros_like(theta);
            for (int k = 0; k <= o.Steps; k++)
            {
                using var scope = NewDisposeScope();
                space.Set(theta.add(z));
                double f;
                Tensor? g = null;
                if (k < o.Steps)
                {
                    if (probe.Policy == BatchNormPolicy.Recompute)
                        BatchNorms.RecomputeStatistics(probe.Model, probe.Train, probe.Options.RecomputeBatchSize, probe.Options.RecomputeBatches);
                    (f, g) = FullGradient(probe);
                }
                else
                {
                    f = probe.MeasureCurrent().Loss;
                }
                ascent.Add(f);
                if (f > maxLoss)
                {
                    maxLoss = f;
                    maxNorm = ParameterSpace.Norm(z);
                }
                if (g is null) break;
                using (no_grad())
                {
                    if (a is null)
                    {
                        z.add_(bound * g.sign() * o.StepFraction);
                        var clamped = minimum(maximum(z, bound.neg()), bound);
                        z.copy_(clamped);
                    }
                    else
                    {
                        var gy = a.t().matmul(g);
                        y!.add_(gy.sign(), alpha: o.StepFraction * radius);
                        var zz = a.matmul(y);
                        double ratio = bound.div(zz.abs().clamp_min(1e-300)).min().item<double>();
                        double s = Math.Min(1.0, ratio);
                        if (s < 1) y.mul_(s);
                        z.copy_(a.matmul(y));
                    }
                }
            }
        }
        double value = 100 * (maxLoss - baseLoss) / (1 + baseLoss);
        return new SharpnessResult(o.Epsilon, o.Steps, o.SubspaceDimension, probe.PolicyName, probe.Options.Loss.Name, baseLoss, maxLoss, value, maxNorm, top, trace, ascent);
    }

    /// <summary>Mean loss and its gradient over the whole training set, in eval mode, in chunks.</summary>
    private static (double Loss, Tensor Gradient) FullGradient(LandscapeProbe probe)
    {
        using var mode = ModelStateScope.EnterMode(probe.Model, training: false);
        return new Objective(probe.Model, probe.Options.Loss, probe.Train, probe.Space).ValueAndGradient();
    }
}
