using MathNet.Numerics.LinearAlgebra;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>Projects training trajectories onto their top two principal directions (Li et al. 2018).</summary>
public static class Trajectory
{
    /// <summary>
    /// The plane through the last checkpoint spanned by the top two principal directions of the differences
    /// d_i = theta_i - theta_final over the other checkpoints.
    /// </summary>
    /// <remarks>
    /// With D the n x M matrix of rows d_i (not centered, as in Li et al.), the n x n Gram matrix K = D D^T (float64) has
    /// eigenpairs K v_k = lambda_k v_k; the principal directions are u_k = D^T v_k / sqrt(lambda_k) (the right singular
    /// vectors of D) and the explained variance ratio is lambda_k / sum_j lambda_j. The sign of each u_k is chosen so the
    /// first checkpoint has a non-negative coordinate. Coordinates are x_i = d_i . u_1, y_i = d_i . u_2.
    /// </remarks>
    /// <exception cref="LossLandscapeException">Fewer than three checkpoints, different lengths, or a trajectory that spans fewer than two directions.</exception>
    public static TrajectoryPlane Plane(IReadOnlyList<Tensor> checkpoints, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        if (checkpoints.Count < 3) throw new LossLandscapeException($"A trajectory plane needs at least 3 checkpoints (the last is the origin); got {checkpoints.Count}.");
        if (names is not null && names.Count != checkpoints.Count) throw new LossLandscapeException($"Got {names.Count} names for {checkpoints.Count} checkpoints.");
        var final = checkpoints[^1];
        foreach (var c in checkpoints)
            if (c.dim() != 1 || c.shape[0] != final.shape[0] || c.dtype != final.dtype)
                throw new LossLandscapeException("Checkpoints must be flat vectors of one length and dtype (the same architecture).");
        int n = checkpoints.Count - 1;
        using var scope = NewDisposeScope();
        var d = stack(checkpoints.Take(n).Select(c => c - final).ToArray()).to(ScalarType.Float64);
        var gram = d.matmul(d.t()).cpu();
        var k = Matrix<double>.Build.Dense(n, n);
        var kd = gram.data<double>().ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) k[i, j] = 0.5 * (kd[i * n + j] + kd[j * n + i]);
        var evd = k.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, n).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        double total = Enumerable.Range(0, n).Sum(i => Math.Max(evd.EigenValues[i].Real, 0));
        double l1 = evd.EigenValues[order[0]].Real, l2 = n > 1 ? evd.EigenValues[order[1]].Real : 0;
        if (!(total > 0) || !(l2 > 1e-12 * l1))
            throw new LossLandscapeException("The checkpoints span fewer than two directions around the final one; a trajectory plane needs a run that moves in at least two.");
        Tensor Direction(int which)
        {
            var v = evd.EigenVectors.Column(order[which]).ToArray();
            var vt = tensor(v, dtype: ScalarType.Float64, device: d.device);
            var u = d.t().matmul(vt);
            u = u / u.norm();
            if (u.dot(d[0]).item<double>() < 0) u = u.neg();
            return u;
        }
        var u1 = Direction(0);
        var u2 = Direction(1);
        u2 = u2 - u1 * u1.dot(u2);
        u2 = u2 / u2.norm();
        var xs = d.matmul(u1).cpu().data<double>().ToArray();
        var ys = d.matmul(u2).cpu().data<double>().ToArray();
        var points = new List<TrajectoryPoint>();
        for (int i = 0; i < n; i++) points.Add(new TrajectoryPoint(i, names?[i] ?? $"{i}", xs[i], ys[i]));
        points.Add(new TrajectoryPoint(n, names?[n] ?? $"{n}", 0, 0));
        var plane = new PlaneBasis(final.clone().MoveToOuterDisposeScope(), u1.to(final.dtype).MoveToOuterDisposeScope(), u2.to(final.dtype).MoveToOuterDisposeScope(), "pca",
            points.Select(p => new PlaneAnchor(p.Name, p.X, p.Y)).ToArray());
        return new TrajectoryPlane(plane, points, new[] { l1 / total, l2 / total });
    }

    /// <summary>
    /// A grid covering every checkpoint of <paramref name="trajectory"/> with a relative <paramref name="margin"/> on each
    /// side (a square range when one axis is degenerate).
    /// </summary>
    public static GridSpec GridAround(TrajectoryPlane trajectory, int xCount, int yCount, double margin = 0.2)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        double x0 = trajectory.Points.Min(p => p.X), x1 = trajectory.Points.Max(p => p.X);
        double y0 = trajectory.Points.Min(p => p.Y), y1 = trajectory.Points.Max(p => p.Y);
        double span = Math.Max(Math.Max(x1 - x0, y1 - y0), 1e-12);
        double mx = Math.Max(x1 - x0, 1e-3 * span) * margin, my = Math.Max(y1 - y0, 1e-3 * span) * margin;
        return new GridSpec(x0 - mx, x1 + mx, xCount, y0 - my, y1 + my, yCount);
    }

    /// <summary>Projects the trajectory and scans the loss on its plane (the whole grid, or use <see cref="LandscapeProbe.ScanShard(PlaneBasis, GridSpec, ShardSpec)"/> with the plane).</summary>
    public static TrajectoryResult Run(LandscapeProbe probe, IReadOnlyList<Tensor> checkpoints, IReadOnlyList<string>? names, GridSpec? grid = null, int gridSize = 21)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var tp = Plane(checkpoints, names);
        var g = grid ?? GridAround(tp, gridSize, gridSize);
        var surface = probe.ScanPlane(tp.Plane, g);
        return new TrajectoryResult(tp.Points, tp.ExplainedVariance, surface);
    }
}
