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
}
