using LossLandscape.Plotting;

namespace LossLandscape.Figures;

/// <summary>
/// Figure I (slide 23): geometry of redundant over-parametrization. The same function written with one parameter,
/// f(w) = w^2, has one isolated minimum; written as a product, g(w1, w2) = (w1 w2)^2, its minima form a connected
/// valley (both axes) along which the Hessian has a zero eigenvalue.
/// </summary>
/// <remarks>
/// Exact functions, no data. Hessians: f''(w) = 2; for g at (a, 0): [[2 w2^2, 4 w1 w2], [4 w1 w2, 2 w1^2]] = diag(0, 2a^2),
/// checked here by central finite differences.
/// </remarks>
public sealed class FigureI : Figure
{
    /// <inheritdoc />
    public override string Id => "I";

    /// <inheritdoc />
    public override string Title => "Redundant over-parametrization: w^2 vs (w1 w2)^2";

    /// <inheritdoc />
    public override string Slides => "23";

    /// <inheritdoc />
    public override FigureOutcome Run(FigureContext context)
    {
        context.DataName = "exact functions";
        int n = context.Pick(21, 101, 201, 201);
        const double range = 2.0;
        var w = Enumerable.Range(0, n).Select(i => -range + 2 * range * i / (n - 1)).ToArray();
        var f = w.Select(x => x * x).ToArray();
        var grid = w.Select(w2 => w.Select(w1 => Math.Pow(w1 * w2, 2)).ToArray()).ToArray();

        context.WriteCsv("one-parameter.csv", new[] { "w", "f" }, w.Select((x, i) => (IReadOnlyList<object>)new object[] { x, f[i] }));
        context.WriteCsv("product.csv", new[] { "w1", "w2", "g" },
            from j in Enumerable.Range(0, n) from i in Enumerable.Range(0, n) select (IReadOnlyList<object>)new object[] { w[i], w[j], grid[j][i] });

        // Minima: grid points within a small tolerance of the minimum value 0.
        const double tol = 1e-3;
        int fMinima = f.Count(v => v < tol);
        int gMinima = grid.Sum(row => row.Count(v => v < tol));
        var (fCurv, gEig) = (SecondDerivative(x => x * x, 0), HessianEigenvalues((a, b) => Math.Pow(a * b, 2), 1.0, 0.0));

        Charts.Lines(new[]
        {
            new Series("f(w) = w^2", w, f),
            new Series("g(w, 0.5) = (0.5 w)^2: flatter as w2 shrinks", w, w.Select(x => Math.Pow(x * 0.5, 2)).ToArray(), Dashed: true),
            new Series("g(w, 0) = 0: the valley of minima", w, w.Select(_ => 0.0).ToArray(), Dashed: true),
        }, new ChartOptions(context.PlotTitle("w^2 and slices of (w1 w2)^2"), "w", "loss"), context.PathOf("one-parameter.png"), context.PathOf("one-parameter.svg"));
        Charts.Surface(w, w, grid, new ChartOptions(context.PlotTitle("(w1 w2)^2: minima along both axes"), "w1", "w2"), logColor: false, colorLabel: "(w1 w2)^2",
            context.PathOf("product.png"), context.PathOf("product.svg"));

        var claim = gMinima > 10 * fMinima && Math.Abs(gEig.Min) < 1e-4 && Math.Abs(gEig.Max - 2) < 1e-4 && Math.Abs(fCurv - 2) < 1e-4;
        context.WriteJson("summary.json", new
        {
            grid = n,
            tolerance = tol,
            oneParameterMinima = fMinima,
            productMinima = gMinima,
            oneParameterCurvatureAtMinimum = fCurv,
            productHessianEigenvaluesAt10 = new[] { gEig.Min, gEig.Max },
        });
        return new FigureOutcome(claim,
            "the product form's minima form a connected valley with a flat (zero-eigenvalue) direction, the single-parameter minimum is isolated",
            new (string, string, string?)[]
            {
                ("grid points with loss < 1e-3: w^2", fMinima.ToString(System.Globalization.CultureInfo.InvariantCulture), "one isolated minimum"),
                ("grid points with loss < 1e-3: (w1 w2)^2", gMinima.ToString(System.Globalization.CultureInfo.InvariantCulture), "a valley along both axes"),
                ("f''(0) for w^2", fCurv.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), "2"),
                ("Hessian eigenvalues of (w1 w2)^2 at (1, 0)", $"{gEig.Min:F4}, {gEig.Max:F4}", "0 (along the valley), 2"),
            },
            // The valley is a count of grid points: it needs a grid that resolves it.
            new[] { Precondition.AtLeast("grid points per axis", n, 21) });
    }

    private static double SecondDerivative(Func<double, double> f, double x, double h = 1e-4) => (f(x + h) - 2 * f(x) + f(x - h)) / (h * h);

    private static (double Min, double Max) HessianEigenvalues(Func<double, double, double> g, double a, double b, double h = 1e-4)
    {
        double gaa = (g(a + h, b) - 2 * g(a, b) + g(a - h, b)) / (h * h);
        double gbb = (g(a, b + h) - 2 * g(a, b) + g(a, b - h)) / (h * h);
        double gab = (g(a + h, b + h) - g(a + h, b - h) - g(a - h, b + h) + g(a - h, b - h)) / (4 * h * h);
        double mean = (gaa + gbb) / 2, r = Math.Sqrt(Math.Pow((gaa - gbb) / 2, 2) + gab * gab);
        return (mean - r, mean + r);
    }
}
