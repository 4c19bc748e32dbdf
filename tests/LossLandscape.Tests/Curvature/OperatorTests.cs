using LossLandscape.Curvature;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Curvature;

public class OperatorTests
{
    private static Tensor Symmetric(int n, int seed)
    {
        manual_seed(seed);
        var a = randn(n, n, dtype: ScalarType.Float64);
        return (a + a.t()) / 2;
    }

    [Fact]
    public void Combinators_MatchTheirMatrices()
    {
        using var scope = NewDisposeScope();
        var a = Symmetric(6, 1);
        var b = Symmetric(6, 2);
        using var A = new DenseOperator(a);
        using var B = new DenseOperator(b);
        var v = randn(6, dtype: ScalarType.Float64);
        CurvatureReference.RelativeError(Operators.Sum(A, B).Apply(v), (a + b).mv(v)).Should().BeLessThan(1e-14);
        CurvatureReference.RelativeError(Operators.Scale(A, -2.5).Apply(v), a.mv(v) * -2.5).Should().BeLessThan(1e-14);
        CurvatureReference.RelativeError(Operators.Shift(A, 3).Apply(v), a.mv(v) + v * 3).Should().BeLessThan(1e-14);
        CurvatureReference.RelativeError(Operators.Difference(A, B).Apply(v), (a - b).mv(v)).Should().BeLessThan(1e-14);
        var sum = Operators.Sum(A, B);
        sum.Apply(v);
        sum.Applications.Should().Be(1);
        A.Applications.Should().Be(5);
    }

    [Fact]
    public void Dense_RejectsAsymmetricMatrix_WithAFix()
    {
        using var a = randn(4, 4, dtype: ScalarType.Float64);
        var act = () => new DenseOperator(a);
        act.Should().Throw<LossLandscapeException>().WithMessage("*not symmetric*(M + M^T) / 2*");
    }

    [Fact]
    public void Apply_RejectsWrongLengthOrDtype_BeforeAnyNativeCall()
    {
        using var a = eye(5, dtype: ScalarType.Float64);
        using var op = new DenseOperator(a);
        var wrongLength = () => op.Apply(zeros(4, dtype: ScalarType.Float64));
        wrongLength.Should().Throw<LossLandscapeException>().WithMessage("*1-D vector of 5 elements*[4]*");
        var wrongType = () => op.Apply(zeros(5, dtype: ScalarType.Float32));
        wrongType.Should().Throw<LossLandscapeException>().WithMessage("*dtype Float32*Float64*");
        var mismatch = () => Operators.Sum(op, new DenseOperator(eye(3, dtype: ScalarType.Float64)));
        mismatch.Should().Throw<LossLandscapeException>().WithMessage("*differ in dimension (5 vs 3)*");
    }

    /// <summary>An operator written against the interface alone: it gets ApplyInto from the interface's default.</summary>
    private sealed class Doubling(int n) : ISymmetricOperator
    {
        public long Dimension => n;
        public ScalarType DType => ScalarType.Float64;
        public Device Device => CPU;
        public long Applications { get; private set; }
        public Tensor Apply(Tensor v)
        {
            Applications++;
            return v * 2;
        }
    }

    [Fact]
    public void ApplyInto_DefaultsToApplyAndCopy_ForAUsersOperator_AndIsChecked()
    {
        using var scope = NewDisposeScope();
        ISymmetricOperator op = new Doubling(4);
        var v = tensor(new[] { 1.0, -2, 3, 0.5 });
        var output = full(4, double.NaN, dtype: ScalarType.Float64);
        op.ApplyInto(v, output);
        output.data<double>().ToArray().Should().Equal(2, -4, 6, 1);
        op.Applications.Should().Be(1);
        var wrong = () => op.ApplyInto(v, zeros(3, dtype: ScalarType.Float64));
        wrong.Should().Throw<LossLandscapeException>().WithMessage("*'output' must be a 1-D vector of 4 elements*");
        using var dense = new DenseOperator(eye(4, dtype: ScalarType.Float64) * 3);
        var rows = zeros(2, 4, dtype: ScalarType.Float64);
        dense.ApplyInto(v, rows[1]);
        rows[1].data<double>().ToArray().Should().Equal(3, -6, 9, 1.5);
        rows[0].abs().sum().item<double>().Should().Be(0, "only the given row is written");
    }
}
