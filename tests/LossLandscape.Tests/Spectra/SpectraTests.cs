using LossLandscape.Curvature;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Spectra;
using LossLandscape.Tests.Curvature;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Spectra;

public class SpectraTests
{
    /// <summary>Eigenvalues of a symmetric matrix by MathNet's dense solver, ascending.</summary>
    private static double[] DenseEigenvalues(Tensor m)
    {
        long n = m.shape[0];
        var data = m.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var mat = Matrix<double>.Build.Dense((int)n, (int)n, (i, j) => data[i * n + j]);
        return mat.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
    }

    private static Tensor WithSpectrum(double[] eigenvalues, int seed)
    {
        manual_seed(seed);
        int n = eigenvalues.Length;
        var (q, _) = linalg.qr(randn(n, n, dtype: ScalarType.Float64));
        return q.matmul(diag(tensor(eigenvalues, dtype: ScalarType.Float64))).matmul(q.t());
    }

    [Fact]
    public void Tridiagonal_MatchesMathNet_AndItsVectorsDiagonalize()
    {
        var r = new Random(40);
        int m = 30;
        var a = Enumerable.Range(0, m).Select(_ => r.NextDouble() * 4 - 2).ToArray();
        var b = Enumerable.Range(0, m - 1).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        b[10] = 0; // a split into two blocks
        var t = Matrix<double>.Build.Dense(m, m, (i, j) => i == j ? a[i] : Math.Abs(i - j) == 1 ? b[Math.Min(i, j)] : 0);
        var reference = t.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
        var (values, vectors) = SymmetricTridiagonal.Eigen(a, b);
        for (int i = 0; i < m; i++) values[i].Should().BeApproximately(reference[i], 1e-13);
        var s = Matrix<double>.Build.DenseOfArray(vectors);
        (t * s - s * Matrix<double>.Build.DenseOfDiagonalArray(values)).FrobeniusNorm().Should().BeLessThan(1e-12);
        (s.Transpose() * s - Matrix<double>.Build.DenseIdentity(m)).FrobeniusNorm().Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Lanczos_TopAndBottom_MatchDenseEigendecomposition_OnMlpHessianWithSeveralHundredParameters()
    {
        using var scope = NewDisposeScope();
        manual_seed(41);
        using var model = new Mlp(new[] { 10, 20, 8 }, Activation.Tanh);
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(24, 10, 8, seed: 42);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data, new CurvatureOptions(BatchSize: 10));
        op.Dimension.Should().Be(388);
        var dense = CurvatureReference.DenseHessian(model, "ce", data);
        var exact = DenseEigenvalues(dense);
        double norm = exact.Max(Math.Abs);
        var result = Lanczos.Run(op, new LanczosOptions(Top: 5, Bottom: 3, Tolerance: 1e-10, ReturnEigenvectors: true, MaxIterations: 388));
        result.Converged.Should().BeTrue();
        for (int i = 0; i < 5; i++)
            Math.Abs(result.Eigenvalues[i] - exact[^(i + 1)]).Should().BeLessThan(1e-8 * norm, $"top {i}");
        for (int i = 0; i < 3; i++)
            Math.Abs(result.Bottom[i] - exact[i]).Should().BeLessThan(1e-8 * norm, $"bottom {i}");
        result.Applications.Should().Be(result.Iterations).And.BeLessThanOrEqualTo(388);
        result.Residuals.Should().OnlyContain(r => r <= 1e-10 * norm);
        // The Ritz vectors are unit eigenvectors: |H y - theta y| small.
        var y = result.Eigenvectors![0];
        y.norm().item<double>().Should().BeApproximately(1, 1e-12);
        CurvatureReference.RelativeError(dense.mv(y), y * result.Eigenvalues[0]).Should().BeLessThan(1e-8);
        foreach (var v in result.Eigenvectors.Concat(result.BottomEigenvectors!)) v.Dispose();
    }

    [Fact]
    public void PowerIteration_MatchesDense_WithMoreApplicationsThanLanczos()
    {
        using var scope = NewDisposeScope();
        var spectrum = new double[200];
        for (int i = 0; i < 200; i++) spectrum[i] = 0.02 * (i - 40);
        spectrum[199] = 10; spectrum[198] = 8; spectrum[197] = 6.5; spectrum[0] = -3;
        using var op = new DenseOperator(WithSpectrum(spectrum, 43));
        var power = PowerIteration.Run(op, new PowerIterationOptions(Top: 3, Tolerance: 1e-12, MaxIterations: 5000, ReturnEigenvectors: true));
        power.Converged.Should().BeTrue();
        power.Eigenvalues[0].Should().BeApproximately(10, 1e-8 * 10);
        power.Eigenvalues[1].Should().BeApproximately(8, 1e-8 * 10);
        power.Eigenvalues[2].Should().BeApproximately(6.5, 1e-8 * 10);
        var bottom = PowerIteration.Run(op, new PowerIterationOptions(Top: 0, Bottom: 1, Tolerance: 1e-13, MaxIterations: 20000));
        bottom.Bottom[0].Should().BeApproximately(-3, 1e-6 * 10);
        var lanczos = Lanczos.Run(op, new LanczosOptions(Top: 3, Tolerance: 1e-10));
        for (int i = 0; i < 3; i++) lanczos.Eigenvalues[i].Should().BeApproximately(power.Eigenvalues[i], 1e-8 * 10);
        lanczos.Applications.Should().BeLessThan(power.Applications);
        foreach (var v in power.Eigenvectors!) v.Dispose();
    }

    [Fact]
    public void Lanczos_RunsToTheFullDimension_AndIsExactThere()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 12).Select(i => (double)(i * i) - 20).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 44));
        var r = Lanczos.Run(op, new LanczosOptions(Top: 6, Bottom: 6, Tolerance: 0));
        r.Applications.Should().Be(12);
        r.Converged.Should().BeTrue();
        r.Eigenvalues.Should().Equal(spectrum.Reverse().Take(6), (x, e) => Math.Abs(x - e) < 1e-11);
        r.Bottom.Should().Equal(spectrum.Take(6), (x, e) => Math.Abs(x - e) < 1e-11);
    }

    [Fact]
    public void Lanczos_WithoutReorthogonalization_StillFindsTheTop()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 100).Select(i => i < 99 ? i / 100.0 : 5.0).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 45));
        var r = Lanczos.Run(op, new LanczosOptions(Top: 1, Reorthogonalization: Reorthogonalization.None, Tolerance: 1e-10));
        r.Eigenvalues[0].Should().BeApproximately(5.0, 1e-9);
    }

    [Fact]
    public void Lanczos_RejectsBadRequests()
    {
        using var a = eye(4, dtype: ScalarType.Float64);
        using var op = new DenseOperator(a);
        FluentActions.Invoking(() => Lanczos.Run(op, new LanczosOptions(Top: 0))).Should().Throw<LossLandscapeException>().WithMessage("*at least one eigenvalue*");
        FluentActions.Invoking(() => Lanczos.Run(op, new LanczosOptions(Top: 3, Bottom: 2))).Should().Throw<LossLandscapeException>().WithMessage("*5 eigenvalues of an operator of dimension 4*");
        FluentActions.Invoking(() => Hutchinson.Estimate(op, new HutchinsonOptions(Probes: 1))).Should().Throw<LossLandscapeException>().WithMessage("*at least 2 probes*");
        FluentActions.Invoking(() => SpectralDensity.Estimate(op, new SpectralDensityOptions(Sigma: -1))).Should().Throw<LossLandscapeException>().WithMessage("*Sigma -1*");
    }

    [Fact]
    public void Hutchinson_IntervalCoversTheExactTrace_AndDiagonalIsExactForADiagonalMatrix()
    {
        using var scope = NewDisposeScope();
        manual_seed(46);
        using var model = new Mlp(new[] { 4, 6, 3 }, Activation.Tanh);
        model.to(ScalarType.Float64);
        using var data = CurvatureReference.Data(10, 4, 3, seed: 47);
        var op = new HessianOperator(model, new CrossEntropyLoss(), data);
        double exact = CurvatureReference.DenseHessian(model, "ce", data).trace().item<double>();
        var t = Hutchinson.Estimate(op, new HutchinsonOptions(Probes: 60, Seed: 3, Diagonal: true));
        t.Lower.Should().BeLessThan(exact);
        t.Upper.Should().BeGreaterThan(exact);
        t.Applications.Should().Be(60);
        t.Diagonal!.sum().item<double>().Should().BeApproximately(t.Trace, 1e-10 * Math.Abs(t.Trace) + 1e-12);
        t.Diagonal.Dispose();

        var d = new double[] { 1, -2, 3, 4.5, 0.25 };
        using var diagOp = new DenseOperator(diag(tensor(d, dtype: ScalarType.Float64)));
        var td = Hutchinson.Estimate(diagOp, new HutchinsonOptions(Probes: 5, Diagonal: true));
        td.Trace.Should().BeApproximately(d.Sum(), 1e-14);
        td.StandardError.Should().Be(0);
        TestUtil.ToArray(td.Diagonal!).Should().Equal(d, (x, e) => Math.Abs(x - e) < 1e-14);
        td.Diagonal!.Dispose();
    }

    [Fact]
    public void Density_IntegratesToOne_AndItsMeanIsTraceOverDimension()
    {
        using var scope = NewDisposeScope();
        var spectrum = Enumerable.Range(0, 150).Select(i => Math.Sin(i) * 2 + (i > 145 ? 20 : 0)).ToArray();
        using var op = new DenseOperator(WithSpectrum(spectrum, 48));
        double exactMean = spectrum.Average();
        var r = SpectralDensity.Estimate(op, new SpectralDensityOptions(Probes: 40, Steps: 30, GridPoints: 2000, Seed: 5));
        double h = r.Grid[1] - r.Grid[0];
        (r.Density.Sum() - 0.5 * (r.Density[0] + r.Density[^1])) .Should().BeApproximately(1.0 / h, 1e-9 / h);
        foreach (var p in r.Probes) p.Weights.Sum().Should().BeApproximately(1, 1e-12);
        r.Mean.Should().BeApproximately(r.TraceEstimate / r.Dimension, 1e-8, "the density's mean is the quadrature mean");
        r.Mean.Should().BeApproximately(exactMean, 0.15, "tr(A)/n within the probes' sampling error");
        r.Applications.Should().Be(40 * 30);
        // Nodes lie inside the spectrum, and the outliers are resolved.
        r.Probes.SelectMany(p => p.Nodes).Should().OnlyContain(x => x >= spectrum.Min() - 1e-9 && x <= spectrum.Max() + 1e-9);
        r.Probes[0].Nodes[^1].Should().BeApproximately(spectrum.Max(), 1e-6);
    }
}
