using LossLandscape.Curvature;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Landscape;

public class HessianDirectionsTests
{
    [Fact]
    public void HessianPlane_AtTheLeastSquaresMinimum_IsTheQuadraticOfTheTopTwoEigenvalues()
    {
        // Linear model, squared error against +-1 targets: L(theta) = |X1 theta - t|^2 / P, H = 2 X1^T X1 / P (closed form).
        // At the minimizer theta*, L(theta* + x v1 + y v2) = L* + (lambda1 x^2 + lambda2 y^2) / 2 exactly.
        manual_seed(5);
        var model = nn.Linear(3, 1);
        model.to(ScalarType.Float64);
        var space = new ParameterSpace(model);
        using var data = LandscapeTestUtil.Toy(p: 23, d: 3, k: 2, seed: 8);
        var x1 = cat(new[] { data.Inputs, ones(23, 1, dtype: ScalarType.Float64) }, 1);
        var t = data.Labels.to(ScalarType.Float64).mul(2).sub(1).unsqueeze(1);
        var thetaStar = linalg.lstsq(x1, t).Solution.reshape(-1);
        space.Set(thetaStar);
        var hClosed = x1.t().matmul(x1).mul(2.0 / 23);
        var lambdas = linalg.eigvalsh(hClosed).data<double>().OrderByDescending(v => v).ToArray();

        var loss = new global::LossLandscape.Losses.SquaredErrorLoss();
        var op = new HessianOperator(model, loss, data);
        var plane = PlaneBasis.FromProvider(space, space.Get(), HessianDirections.Provider(op, seed: 1, tolerance: 1e-10));
        ParameterSpace.Norm(plane.D1).Should().BeApproximately(1, 1e-9);
        ParameterSpace.Dot(plane.D1, plane.D2).Should().BeApproximately(0, 1e-8);

        var probe = new LandscapeProbe(model, data, options: new ProbeOptions { Loss = loss });
        var r = probe.ScanPlane(plane, new GridSpec(-1, 1, 3, -1, 1, 3));
        double l0 = r.Losses[1][1];
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 3; i++)
            {
                double expected = l0 + 0.5 * (lambdas[0] * r.X[i] * r.X[i] + lambdas[1] * r.Y[j] * r.Y[j]);
                r.Losses[j][i].Should().BeApproximately(expected, 1e-8 * (1 + expected));
            }
    }

    [Fact]
    public void Provider_RejectsAnOperatorOverOtherParameters()
    {
        manual_seed(1);
        var model = nn.Linear(3, 1);
        model.to(ScalarType.Float64);
        using var data = LandscapeTestUtil.Toy(p: 5, d: 3, k: 2, seed: 1);
        var op = new HessianOperator(model, new global::LossLandscape.Losses.SquaredErrorLoss(), data, new CurvatureOptions(Include: n => n == "weight"));
        var space = new ParameterSpace(model);
        var act = () => PlaneBasis.FromProvider(space, space.Get(), HessianDirections.Provider(op));
        act.Should().Throw<LossLandscapeException>().WithMessage("*acts on 3 parameters*has 4*");
    }
}
