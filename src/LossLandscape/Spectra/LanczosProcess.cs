using LossLandscape.Curvature;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Spectra;

/// <summary>The Lanczos three-term recurrence shared by <see cref="Lanczos"/> and <see cref="SpectralDensity"/>.</summary>
internal sealed class LanczosProcess : IDisposable
{
    public List<double> Alpha { get; } = new();
    public List<double> Beta { get; } = new();
    public double TrailingBeta { get; private set; }
    public KrylovBasis Basis { get; }
    public long Applications { get; private set; }

    private LanczosProcess(KrylovBasis basis) => Basis = basis;

    /// <summary>
    /// Runs at most <paramref name="maxSteps"/> steps from the unit vector <paramref name="start"/>:
    /// beta_j q_{j+1} = A q_j - alpha_j q_j - beta_{j-1} q_{j-1}, alpha_j = q_j . A q_j, optionally with full
    /// reorthogonalization of every new vector against all previous ones. After each step <paramref name="stop"/>
    /// sees the step count and the trailing beta and may end the run. On breakdown (beta ~ 0: an invariant subspace)
    /// the run continues from a fresh random vector orthogonal to the basis when <paramref name="restart"/> is given
    /// (the coupling beta is then 0), and ends otherwise.
    /// </summary>
    public static LanczosProcess Run(ISymmetricOperator op, Tensor start, int maxSteps, bool reorthogonalize,
        Func<LanczosProcess, bool> stop, RandomVectors? restart, CancellationToken cancellationToken)
    {
        var process = new LanczosProcess(new KrylovBasis(op.Dimension, Math.Min(maxSteps, 64), op.DType, op.Device));
        try
        {
            process.Iterate(op, start, maxSteps, reorthogonalize, stop, restart, cancellationToken);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private void Iterate(ISymmetricOperator op, Tensor start, int maxSteps, bool reorthogonalize,
        Func<LanczosProcess, bool> stop, RandomVectors? restart, CancellationToken cancellationToken)
    {
        double breakdown = op.DType == ScalarType.Float64 ? 1e-12 : 1e-5;
        double scale = 0;
        Basis.Add(start);
        for (int j = 0; j < maxSteps; j++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var q = Basis[j];
            var w = op.Apply(q);
            Applications++;
            double a = ParameterSpace.Dot(q, w);
            w.add_(q, alpha: -a);
            if (j > 0) w.add_(Basis[j - 1], alpha: -Beta[j - 1]);
            if (reorthogonalize) Basis.Orthogonalize(w);
            double b = ParameterSpace.Norm(w);
            if (!double.IsFinite(a) || !double.IsFinite(b))
                throw new LossLandscapeException("The operator returned NaN or Inf (check the model's weights and the data).");
            Alpha.Add(a);
            TrailingBeta = b;
            scale = Math.Max(scale, Math.Max(Math.Abs(a), b));
            if (stop(this) || j + 1 >= maxSteps || j + 1 >= op.Dimension) break;
            if (b <= breakdown * scale)
            {
                if (restart is null) break;
                w = restart.Gaussian(op.Dimension, op.DType, op.Device);
                Basis.Orthogonalize(w);
                w.div_(ParameterSpace.Norm(w));
                Beta.Add(0.0);
                Basis.Add(w);
                continue;
            }
            Beta.Add(b);
            Basis.Add(w.div_(b));
        }
    }

    public void Dispose() => Basis.Dispose();
}
