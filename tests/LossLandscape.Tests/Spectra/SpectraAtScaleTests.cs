using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Spectra;
using LossLandscape.Tests.Curvature;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Spectra;

/// <summary>Thick restart, partial reorthogonalization, checkpoints, Hutch++ and the spread statistics.</summary>
public class SpectraAtScaleTests
{
    private static double[] DenseEigenvalues(Tensor m)
    {
        long n = m.shape[0];
        var data = m.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var mat = Matrix<double>.Build.Dense((int)n, (int)n, (i, j) => data[i * n + j]);
        return mat.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
    }

    private static Tensor WithSpectrum(double[] eigenvalues, int seed, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        int n = eigenvalues.Length;
        var (q, _) = linalg.qr(randn(n, n, dtype: ScalarType.Float64));
        var m = q.matmul(diag(tensor(eigenvalues, dtype: ScalarType.Float64))).matmul(q.t());
        return m.add(m.t()).mul_(0.5).to(dtype).MoveToOuterDisposeScope();
    }

    public static IEnumerable<object[]> Variants()
    {
        foreach (var op in new[] { "H", "G", "R" })
            foreach (var ends in new[] { "top", "bottom", "both" })
                foreach (var variant in new[] { "restart-partial", "restart-full", "full-partial", "full-full" })
                    yield return new object[] { op, ends, variant };
    }

    /// <summary>Every variant (restarted or full basis, partial or full reorthogonalization), both ends, on H, G and R of a tiny MLP.</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void Lanczos_EveryVariant_MatchesDense(string opName, string ends, string variant)
    {
        using var scope = NewDisposeScope();
        using var tiny = new TinyProblem(opName);
        var (op, dense) = (tiny.Op, tiny.Dense);
        var exact = DenseEigenvalues(dense);
        double norm = exact.Max(Math.Abs);
        var options = TinyProblem.Options(ends, variant);
        var (top, bottom, restarted) = (options.Top, options.Bottom, options.BasisSize != LanczosOptions.FullBasis);
        var r = Lanczos.Run(op, options with { ReturnEigenvectors = true });
        r.Converged.Should().BeTrue();
        for (int i = 0; i < top; i++) Math.Abs(r.Eigenvalues[i] - exact[^(i + 1)]).Should().BeLessThan(1e-8 * norm, $"top {i}");
        for (int i = 0; i < bottom; i++) Math.Abs(r.Bottom[i] - exact[i]).Should().BeLessThan(1e-8 * norm, $"bottom {i}");
        if (restarted)
        {
            r.BasisSize.Should().Be(30);
            if (r.Applications > 30) r.Restarts.Should().BeGreaterThan(0, "a basis of 30 vectors cannot hold a longer run");
        }
        else r.Restarts.Should().Be(0);
        // Ritz vectors are eigenvectors: |A y - theta y| small against the dense matrix.
        foreach (var (y, theta) in r.Eigenvectors!.Zip(r.Eigenvalues).Concat(r.BottomEigenvectors!.Zip(r.Bottom)))
        {
            y.norm().item<double>().Should().BeApproximately(1, 1e-10);
            (dense.mv(y) - y * theta).norm().item<double>().Should().BeLessThan(1e-6 * norm);
            y.Dispose();
        }
    }

    /// <summary>H, G or R of a tiny float64 MLP (4-7-3, 59 parameters) and its dense reference.</summary>
    private sealed class TinyProblem : IDisposable
    {
        private readonly Mlp _model;
        private readonly Dataset _data;

        public TinyProblem(string opName)
        {
            manual_seed(61);
            _model = new Mlp(new[] { 4, 7, 3 }, Activation.Tanh);
            _model.to(ScalarType.Float64);
            // The restarted basis (30 of 59) is large enough for G's bottom: its smallest eigenvalues (6.6e-5, 1.5e-4, 2.2e-4
            // against a top of 3.5) are so close that a basis of 12 needs thousands of steps to separate them.
            // H with the cross-entropy; G and R with the squared error: the cross-entropy's Gauss-Newton matrix has a
            // null space of dimension >= 15 (logits shifted alike), a degenerate cluster that one Krylov sequence sees only once.
            _data = CurvatureReference.Data(60, 4, 3, seed: 62);
            var options = new CurvatureOptions(BatchSize: 60);
            string loss = opName == "H" ? "ce" : "mse";
            LossFunction lf = opName == "H" ? new CrossEntropyLoss() : new SquaredErrorLoss();
            Op = opName switch
            {
                "H" => new HessianOperator(_model, lf, _data, options),
                "G" => new GaussNewtonOperator(_model, lf, _data, options),
                _ => new ResidualOperator(_model, lf, _data, options),
            };
            Op.Dimension.Should().Be(4 * 7 + 7 + 7 * 3 + 3);
            Dense = opName switch
            {
                "H" => CurvatureReference.DenseHessian(_model, loss, _data),
                "G" => CurvatureReference.DenseGgn(_model, loss, _data),
                _ => CurvatureReference.DenseHessian(_model, loss, _data) - CurvatureReference.DenseGgn(_model, loss, _data),
            };
        }

        public ISymmetricOperator Op { get; }
        public Tensor Dense { get; }

        /// <summary>The run of a case: top 4 and / or bottom 3 to 1e-10; a basis of 30 (restart-*) or the full one; partial or full reorthogonalization.</summary>
        public static LanczosOptions Options(string ends, string variant)
        {
            bool restarted = variant.StartsWith("restart", StringComparison.Ordinal);
            var reorth = variant.EndsWith("partial", StringComparison.Ordinal) ? Reorthogonalization.Partial : Reorthogonalization.Full;
            return new LanczosOptions(ends == "bottom" ? 0 : 4, ends == "top" ? 0 : 3, 1e-10, MaxIterations: restarted ? 1500 : 59,
                Reorthogonalization: reorth, BasisSize: restarted ? 30 : LanczosOptions.FullBasis);
        }

        public void Dispose()
        {
            _data.Dispose();
            _model.Dispose();
        }
    }

    public static IEnumerable<object[]> PartialVariants() =>
        Variants().Where(v => ((string)v[2]).EndsWith("partial", StringComparison.Ordinal));

    /// <summary>
    /// Partial reorthogonalization keeps the basis semi-orthogonal, |q_i . q_k| &lt;= sqrt(eps) for every pair at every step,
    /// measured on the basis itself, from five start vectors (each rounds differently; the worst pairs reach 7e-9). Its
    /// estimate of the loss of orthogonality once modelled the rounding as 3 eps |A|: G's double-vjp product rounds by up
    /// to 200 eps |A|, and with a restarted basis (bottom, both ends) its bases reached 1.7e-7 and 2.6e-7; the rounding is
    /// now measured in the run. Restarts from the Ritz vectors of T on the semi-orthogonal basis once left the retained
    /// vectors a relation residual (what reorthogonalization removed from the products) that the estimate did not see:
    /// from start vector 4, G's restarted basis at both ends reached 1.5e-7; the restart is now exact (worst pair 2.7e-9).
    /// </summary>
    [Theory]
    [MemberData(nameof(PartialVariants))]
    public void PartialReorthogonalization_KeepsTheBasisSemiOrthogonal(string opName, string ends, string variant)
    {
        using var scope = NewDisposeScope();
        using var tiny = new TinyProblem(opName);
        foreach (long seed in new long[] { 0, 1, 2, 3, 4 })
        {
            double worst = 0;
            int checks = 0;
            void Check(LanczosEngine engine)
            {
                using var inner = NewDisposeScope();
                var q = engine.Basis;
                var gram = q.matmul(q.t()) - eye(q.shape[0], dtype: ScalarType.Float64);
                worst = Math.Max(worst, gram.abs().max().item<double>());
                checks++;
            }
            var r = Lanczos.Run(tiny.Op, TinyProblem.Options(ends, variant) with { Seed = seed }, null, default, Check);
            r.Converged.Should().BeTrue();
            checks.Should().BeGreaterThan(10);
            worst.Should().BeLessThan(Math.Sqrt(2.220446049250313e-16), $"semi-orthogonality over {checks} steps from start vector {seed}");
        }
    }

    /// <summary>
    /// The thick restart is exact: right after every restart the basis is orthonormal to rounding (but among the locked
    /// vectors, which it leaves as they are) and every retained Ritz vector y satisfies A y = theta y + kappa u to rounding,
    /// u the new residual vector, theta and kappa its entries of T. Restarting from the Ritz vectors of T on the
    /// semi-orthogonal basis (as before) left overlaps and relation residuals of up to sqrt(eps) |A|, which every later
    /// product fed back into the retained vectors. H, G and R of the tiny MLP, both ends, three start vectors.
    /// </summary>
    [Theory]
    [InlineData("H")]
    [InlineData("G")]
    [InlineData("R")]
    public void Restart_LeavesAnOrthonormalBasis_WhoseRitzVectorsSatisfyTheirRelation(string opName)
    {
        using var scope = NewDisposeScope();
        using var tiny = new TinyProblem(opName);
        double scale = DenseEigenvalues(tiny.Dense).Max(Math.Abs);
        foreach (long seed in new long[] { 0, 1, 2 })
        {
            double overlap = 0, relation = 0;
            int restarts = 0;
            void Check(LanczosEngine engine)
            {
                if (engine.Restarts == restarts) return;
                restarts = engine.Restarts;
                using var inner = NewDisposeScope();
                int count = engine.Count, l = engine.Locked;
                var q = engine.Basis;
                var gram = q.matmul(q.t()) - eye(count, dtype: ScalarType.Float64);
                gram.narrow(0, 0, l).narrow(1, 0, l).zero_();
                overlap = Math.Max(overlap, gram.abs().max().item<double>());
                var u = q[count - 1];
                for (int a = l; a < count - 1; a++)
                {
                    var y = q[a];
                    var res = tiny.Op.Apply(y) - y * engine.Projected(a, a) - u * engine.Projected(a, count - 1);
                    relation = Math.Max(relation, res.norm().item<double>() / scale);
                }
            }
            var r = Lanczos.Run(tiny.Op, TinyProblem.Options("both", "restart-partial") with { Seed = seed }, null, default, Check);
            r.Converged.Should().BeTrue();
            restarts.Should().BeGreaterThan(1);
            overlap.Should().BeLessThan(5e-14, $"orthonormal after each of {restarts} restarts from start vector {seed}");
            relation.Should().BeLessThan(5e-14, $"the retained Ritz vectors' relation after each of {restarts} restarts from start vector {seed}");
        }
    }

    /// <summary>
    /// Without reorthogonalization (the plain recurrence, kept for comparison) the basis is far from orthonormal by the
    /// first restart, so the restart takes it as orthonormal (the classical thick restart) rather than orthonormalizing it
    /// from its Gram matrix, which is then not positive definite: the run restarts and finishes (with the spurious copies
    /// the plain recurrence is known for), where the default and full reorthogonalization find the five distinct values.
    /// </summary>
    [Fact]
    public void Lanczos_WithoutReorthogonalization_StillRestarts()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 800).Select(i => i < 790 ? Math.Sin(i) : 3.0 + (i - 790) * 1.5).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 3, ScalarType.Float32));
        var plain = Lanczos.Run(op, new LanczosOptions(Top: 5, Tolerance: 1e-5, MaxIterations: 600, Reorthogonalization: Reorthogonalization.None));
        plain.Restarts.Should().BeGreaterThan(0);
        plain.Eigenvalues[0].Should().BeApproximately(16.5, 1e-3);
        foreach (var mode in new[] { Reorthogonalization.Partial, Reorthogonalization.Full })
        {
            var r = Lanczos.Run(op, new LanczosOptions(Top: 5, Tolerance: 1e-5, MaxIterations: 600, Reorthogonalization: mode, BasisSize: 12));
            r.Restarts.Should().BeGreaterThan(0, $"{mode}");
            r.Eigenvalues.Should().Equal(new[] { 16.5, 15, 13.5, 12, 10.5 }, (x, e) => Math.Abs(x - e) <= 1e-3, $"{mode}");
        }
    }

    /// <summary>Many well-separated outliers converge one after another: the partial scheme must keep every one of them single (no ghosts) while reorthogonalizing at only some steps.</summary>
    [Theory]
    [InlineData(ScalarType.Float64, 1e-10, 1e-8)]
    [InlineData(ScalarType.Float32, 1e-5, 2e-5)]
    public void PartialReorthogonalization_FindsEachOutlierOnce_AndSkipsMostPasses(ScalarType dtype, double tol, double accuracy)
    {
        using var scope = NewDisposeScope();
        int n = 1500;
        var spectrum = Enumerable.Range(0, n).Select(i => i < n - 12 ? Math.Sin(i) : 3.0 + (i - (n - 12)) * 1.5).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 63, dtype));
        var exact = spectrum.OrderByDescending(x => x).Take(10).ToArray();
        foreach (int? basis in new int?[] { null, LanczosOptions.FullBasis })
        {
            var r = Lanczos.Run(op, new LanczosOptions(Top: 10, Tolerance: tol, MaxIterations: 2000, BasisSize: basis));
            r.Converged.Should().BeTrue();
            r.Eigenvalues.Should().Equal(exact, (x, e) => Math.Abs(x - e) <= accuracy * 20, $"basis {basis}");
            if (dtype == ScalarType.Float64)
                r.Reorthogonalizations.Should().BeLessThan((int)(0.6 * r.Applications), "partial reorthogonalization skips steps");
        }
    }

    [Fact]
    public void Lanczos_RejectsATooSmallBasis()
    {
        using var a = eye(50, dtype: ScalarType.Float64);
        using var op = new DenseOperator(a);
        FluentActions.Invoking(() => Lanczos.Run(op, new LanczosOptions(Top: 5, BasisSize: 6)))
            .Should().Throw<LossLandscapeException>().WithMessage("*Basis size 6 is too small for 5 eigenvalues*at least 7*");
    }

    /// <summary>Counts applications and cancels a token at the given one (an interruption in the middle of a run).</summary>
    private sealed class Interrupting(ISymmetricOperator inner, long at, CancellationTokenSource cts) : ISymmetricOperator
    {
        public long Dimension => inner.Dimension;
        public ScalarType DType => inner.DType;
        public Device Device => inner.Device;
        public long Applications { get; private set; }

        public Tensor Apply(Tensor v)
        {
            if (++Applications == at) cts.Cancel();
            return inner.Apply(v);
        }
    }

    /// <summary>Progress reported on the caller's thread (System.Progress posts to the thread pool).</summary>
    private sealed class Progress<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }

    /// <summary>A resumed run must be the uninterrupted one to the bit: the same applications, values and residuals.</summary>
    private static void ShouldBeTheSameRun(EigenResult resumed, EigenResult reference)
    {
        resumed.Applications.Should().Be(reference.Applications);
        resumed.Eigenvalues.Should().Equal(reference.Eigenvalues);
        resumed.Bottom.Should().Equal(reference.Bottom);
        resumed.Residuals.Should().Equal(reference.Residuals);
    }

    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "llscape-ckpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Fact]
    public void Lanczos_InterruptedAndResumed_EqualsUninterrupted()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 300).Select(i => Math.Cos(0.3 * i) + (i > 293 ? 4 + i % 7 : 0)).ToArray();
        using var dense = new DenseOperator(WithSpectrum(spectrum, 64));
        var options = new LanczosOptions(Top: 4, Bottom: 2, Tolerance: 1e-10, BasisSize: 14, MaxIterations: 3000);
        var reference = Lanczos.Run(dense, options);
        reference.Restarts.Should().BeGreaterThan(2);
        var dir = TempDir();
        try
        {
            var ck = options with { Checkpoint = new CheckpointOptions(dir, Every: 5, Tag: "test") };
            using var cts = new CancellationTokenSource();
            var interrupting = new Interrupting(dense, 37, cts);
            FluentActions.Invoking(() => Lanczos.Run(interrupting, ck, cancellationToken: cts.Token))
                .Should().Throw<OperationCanceledException>().WithMessage("*interrupted after 37 applications*run the same command again*");
            File.Exists(Path.Combine(dir, "lanczos.state")).Should().BeTrue();
            var resumed = Lanczos.Run(dense, ck);
            ShouldBeTheSameRun(resumed, reference);
            resumed.Restarts.Should().Be(reference.Restarts);
            // The state was written at the interruption (37): the resumed run applied the operator only for the steps left.
            dense.Applications.Should().Be(2 * reference.Applications);
            // A finished run returns its stored result; another problem in the same folder is refused.
            Lanczos.Run(dense, ck).Eigenvalues.Should().Equal(reference.Eigenvalues);
            FluentActions.Invoking(() => Lanczos.Run(dense, ck with { Top = 5 }))
                .Should().Throw<LossLandscapeException>().WithMessage("*belongs to another run*");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// A state written between restarts carries what reorthogonalization removed since the last one (the next restart's
    /// Rayleigh quotient uses it): loading a state mid-cycle and saving it again
    /// gives the same state, on G of the tiny MLP, whose restarted runs reorthogonalize at most steps.
    /// </summary>
    [Fact]
    public void LanczosState_SavedMidCycle_LoadsBackWithWhatReorthogonalizationRemoved()
    {
        using var scope = NewDisposeScope();
        using var tiny = new TinyProblem("G");
        var options = TinyProblem.Options("both", "restart-partial");
        int m = options.BasisSize!.Value;
        var saved = new List<string>();
        void Probe(LanczosEngine engine)
        {
            if (engine.Restarts < 1) return;
            using var inner = NewDisposeScope();
            var state = engine.Save();
            if (!state.Removed!.Any(x => x != 0)) return;   // nothing removed yet this cycle
            using var copy = new LanczosEngine(tiny.Op, m + 1, m, Reorthogonalization.Partial);
            using var rows = engine.Arrow is { } z ? cat(new[] { engine.Basis, z.unsqueeze(0) }) : engine.Basis.clone();
            copy.Load(state, rows);
            System.Text.Json.JsonSerializer.Serialize(copy.Save()).Should().Be(System.Text.Json.JsonSerializer.Serialize(state));
            saved.Add("ok");
        }
        Lanczos.Run(tiny.Op, options, null, default, Probe);
        saved.Should().HaveCountGreaterThan(3);
    }

    /// <summary>A x = d * x, elementwise: a diagonal operator of any size, with its spectrum and eigenvectors known.</summary>
    private sealed class Diagonal(Tensor d) : ISymmetricOperator
    {
        public long Dimension => d.shape[0];
        public ScalarType DType => d.dtype;
        public Device Device => d.device;
        public long Applications { get; private set; }

        public Tensor Apply(Tensor v)
        {
            Applications++;
            return v * d;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Lanczos_Restart_RotatesTheBasisInColumnBlocks_AndEveryBlockIsRight(bool simd)
    {
        // 300,000 float64 entries. With the SIMD loop: columns split between workers, in tiles, the last one partial.
        // Without it (libtorch's product, as on a GPU): the restart's rotation buffer (at most 8 MiB) holds fewer columns
        // than the vector, so the rotation runs over several blocks. The wanted eigenvectors sit in the first, middle and
        // last blocks.
        RowCombination.Disabled = !simd;
        try
        {
            Rotates();
        }
        finally
        {
            RowCombination.Disabled = false;
        }
    }

    private static void Rotates()
    {
        using var scope = NewDisposeScope();
        const long n = 300_000;
        var d = rand(n, dtype: ScalarType.Float64, generator: new Generator(71)).mul_(0.4);
        long[] at = { n - 1, n / 2 + 1, 77_777, 3 };
        double[] top = { 1.0, 0.9, 0.8, 0.7 };
        for (int i = 0; i < at.Length; i++) d[at[i]] = top[i];
        var op = new Diagonal(d);
        var r = Lanczos.Run(op, new LanczosOptions(Top: 4, Tolerance: 1e-10, BasisSize: 12, ReturnEigenvectors: true));
        r.Converged.Should().BeTrue();
        r.Restarts.Should().BeGreaterThan(0);
        for (int i = 0; i < 4; i++)
        {
            r.Eigenvalues[i].Should().BeApproximately(top[i], 1e-9, $"eigenvalue {i}");
            var y = r.Eigenvectors![i];
            Math.Abs(y[at[i]].item<double>()).Should().BeApproximately(1, 1e-8, $"eigenvector {i} is e_{at[i]}");
            y.Dispose();
        }
    }

    [Fact]
    public void Lanczos_InterruptedRightAfterARestart_ResumesWithTheRestartsArrow_AndEqualsUninterrupted()
    {
        // A restart forms the retained vectors' coupling to the next vector (the arrow) for the step after it; a state
        // written between the two must carry it, or the resumed run would not be the uninterrupted one.
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 200).Select(i => Math.Sin(0.7 * i) + (i > 195 ? 3 + i % 5 : 0)).ToArray();
        using var dense = new DenseOperator(WithSpectrum(spectrum, 65));
        var options = new LanczosOptions(Top: 3, Bottom: 1, Tolerance: 1e-10, BasisSize: 12, MaxIterations: 2000);
        var restartsAt = new List<int>();
        int seen = 0;
        var reference = Lanczos.Run(dense, options, new Progress<EigenProgress>(p =>
        {
            // Progress comes after each step, before the restart that may follow it: a count that grew means the restart
            // came after the previous step.
            if (p.Restarts > seen) { restartsAt.Add(p.Iteration - 1); seen = p.Restarts; }
        }));
        restartsAt.Should().HaveCountGreaterThan(1);
        foreach (int at in restartsAt.Take(2))
        {
            var dir = TempDir();
            try
            {
                var ck = options with { Checkpoint = new CheckpointOptions(dir, Every: 1000, Tag: "arrow") };
                using var cts = new CancellationTokenSource();
                FluentActions.Invoking(() => Lanczos.Run(new Interrupting(dense, at, cts), ck, cancellationToken: cts.Token))
                    .Should().Throw<OperationCanceledException>().WithMessage($"*interrupted after {at} applications*");
                var (state, basis) = StateFile.Read<LanczosState>(Path.Combine(dir, "lanczos.state"), st => st.Engine.StoredRows, dense.Dimension, ScalarType.Float64, CPU);
                using (basis)
                {
                    state.Engine.Arrow.Should().BeTrue();
                    state.Engine.Restarts.Should().Be(restartsAt.IndexOf(at) + 1);
                    basis!.shape[0].Should().Be(state.Engine.Count + 1);
                }
                ShouldBeTheSameRun(Lanczos.Run(dense, ck), reference);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
        // And the answer is right: the top 3 and the bottom 1 of the spectrum.
        var sorted = spectrum.OrderBy(x => x).ToArray();
        reference.Eigenvalues.Zip(sorted.Reverse().Take(3), (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-8);
        Math.Abs(reference.Bottom[0] - sorted[0]).Should().BeLessThan(1e-8);
    }

    [Fact]
    public void Density_InterruptedAndResumed_EqualsUninterrupted()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 120).Select(i => Math.Sin(i) * 2 + (i > 115 ? 10 : 0)).ToArray();
        using var dense = new DenseOperator(WithSpectrum(spectrum, 65));
        var options = new SpectralDensityOptions(Probes: 4, Steps: 20, GridPoints: 200, Seed: 3);
        var reference = SpectralDensity.Estimate(dense, options);
        var dir = TempDir();
        try
        {
            var ck = options with { Checkpoint = new CheckpointOptions(dir, Every: 6) };
            using var cts = new CancellationTokenSource();
            FluentActions.Invoking(() => SpectralDensity.Estimate(new Interrupting(dense, 47, cts), ck, cancellationToken: cts.Token))
                .Should().Throw<OperationCanceledException>().WithMessage("*interrupted after 2 probes*");
            var resumed = SpectralDensity.Estimate(dense, ck);
            resumed.Applications.Should().Be(reference.Applications);
            resumed.Density.Should().Equal(reference.Density);
            resumed.DensityUpper.Should().Equal(reference.DensityUpper);
            resumed.Probes.Select(p => p.Nodes).Should().BeEquivalentTo(reference.Probes.Select(p => p.Nodes), o => o.WithStrictOrdering());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Density_BandHoldsTheEstimate_AndTheTraceErrorIsHonest()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 150).Select(i => Math.Sin(i) * 2 + (i > 145 ? 20 : 0)).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 48));
        var r = SpectralDensity.Estimate(op, new SpectralDensityOptions(Probes: 30, Steps: 30, GridPoints: 500, Seed: 5));
        r.Confidence.Should().Be(0.95);
        for (int i = 0; i < r.Grid.Length; i++)
        {
            r.DensityLower[i].Should().BeLessThanOrEqualTo(r.Density[i]);
            r.DensityUpper[i].Should().BeGreaterThanOrEqualTo(r.Density[i]);
            r.DensityLower[i].Should().BeGreaterThanOrEqualTo(0);
        }
        r.DensityStandardError.Max().Should().BeGreaterThan(0);
        r.TraceStandardError.Should().BeGreaterThan(0);
        Math.Abs(r.TraceEstimate - spectrum.Sum()).Should().BeLessThan(4 * r.TraceStandardError);
        var one = SpectralDensity.Estimate(op, new SpectralDensityOptions(Probes: 1, Steps: 10, GridPoints: 50));
        one.DensityUpper.Should().Equal(one.Density);
    }

    [Fact]
    public void HutchPlusPlus_IsExactWhenTheSketchSpansEverything_AndItsDiagonalSumsToTheTrace()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 20).Select(i => 1.0 / (1 + i) - 0.2).ToArray();
        var m = WithSpectrum(spectrum, 66);
        using var op = new DenseOperator(m);
        var r = HutchPlusPlus.Estimate(op, new HutchPlusPlusOptions(Applications: 62, Seed: 1, Diagonal: true));
        r.Method.Should().Be("hutch++");
        r.SketchSize.Should().Be(20);
        r.Applications.Should().Be(62);
        r.Trace.Should().BeApproximately(spectrum.Sum(), 1e-10);
        TestUtil.ToArray(r.Diagonal!).Should().Equal(TestUtil.ToArray(m.diag()), (x, e) => Math.Abs(x - e) < 1e-10);
        r.Diagonal!.Dispose();

        var small = HutchPlusPlus.Estimate(op, new HutchPlusPlusOptions(Applications: 12, Seed: 2, Diagonal: true));
        small.Diagonal!.sum().item<double>().Should().BeApproximately(small.Trace, 1e-10);
        small.Diagonal.Dispose();
        FluentActions.Invoking(() => HutchPlusPlus.Estimate(op, new HutchPlusPlusOptions(Applications: 3)))
            .Should().Throw<LossLandscapeException>().WithMessage("*at least 4*");
    }

    /// <summary>Meyer et al.'s claim, checked: at equal applications, on a decaying spectrum, Hutch++'s variance is far below Hutchinson's, and both intervals cover the exact trace about as often as they say.</summary>
    [Fact]
    public void HutchPlusPlus_BeatsHutchinsonsVariance_OnADecayingSpectrum_AtEqualApplications()
    {
        using var scope = NewDisposeScope();
        int n = 300;
        var spectrum = Enumerable.Range(1, n).Select(i => 100.0 / ((double)i * i)).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 67));
        double exact = spectrum.Sum();
        int runs = 40, budget = 30;
        var hpp = new double[runs];
        var hut = new double[runs];
        int coverHpp = 0, coverHut = 0;
        for (int s = 0; s < runs; s++)
        {
            var a = HutchPlusPlus.Estimate(op, new HutchPlusPlusOptions(Applications: budget, Seed: s));
            var b = Hutchinson.Estimate(op, new HutchinsonOptions(Probes: budget, Seed: 1000 + s));
            hpp[s] = a.Trace;
            hut[s] = b.Trace;
            if (a.Lower <= exact && exact <= a.Upper) coverHpp++;
            if (b.Lower <= exact && exact <= b.Upper) coverHut++;
        }
        double Var(double[] x) => x.Select(v => (v - exact) * (v - exact)).Average();
        Var(hpp).Should().BeLessThan(0.05 * Var(hut));
        coverHpp.Should().BeGreaterThanOrEqualTo(32);
        coverHut.Should().BeGreaterThanOrEqualTo(30);
    }

    [Fact]
    public void Spread_And_Subsets()
    {
        var s = Spread.Of(new[] { 1.0, 2.0, 4.0 });
        s.Mean.Should().BeApproximately(7.0 / 3, 1e-15);
        s.StandardError.Should().BeApproximately(Math.Sqrt((Math.Pow(1 - 7.0 / 3, 2) + Math.Pow(2 - 7.0 / 3, 2) + Math.Pow(4 - 7.0 / 3, 2)) / 2 / 3), 1e-15);
        s.Min.Should().Be(1);
        s.Max.Should().Be(4);
        Spread.Of(new[] { 5.0 }).StandardError.Should().Be(0);

        var disjoint = Subsets.Draw(100, 30, 3, seed: 4);
        disjoint.Disjoint.Should().BeTrue();
        disjoint.Indices.Should().HaveCount(3).And.OnlyContain(x => x.Length == 30);
        disjoint.Indices.SelectMany(x => x).Distinct().Should().HaveCount(90);
        disjoint.Indices.SelectMany(x => x).Should().OnlyContain(i => i >= 0 && i < 100);
        Subsets.Draw(100, 30, 3, seed: 4).Indices.Should().BeEquivalentTo(disjoint.Indices, o => o.WithStrictOrdering());
        var overlapping = Subsets.Draw(100, 60, 3, seed: 4);
        overlapping.Disjoint.Should().BeFalse();
        overlapping.Indices.Should().OnlyContain(x => x.Distinct().Count() == 60);
        FluentActions.Invoking(() => Subsets.Draw(100, 101, 2, 0)).Should().Throw<LossLandscapeException>().WithMessage("*101*100*");
    }
}
