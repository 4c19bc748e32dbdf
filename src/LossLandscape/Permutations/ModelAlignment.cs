using LossLandscape.Data;
using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Permutations;

/// <summary>
/// Permutation alignment of two networks of one architecture (Ainsworth, Hayase and Srinivasa 2023, "Git Re-Basin";
/// Entezari et al. 2022): the permutation of the second network's hidden units that brings it closest to the first,
/// so that the straight line between them stays in one basin.
/// </summary>
/// <remarks>
/// <para>
/// Weight matching maximizes sum_l &lt;W_A^l, P_l W_B^l P_{l-1}^T&gt; over the permutations P of the groups of
/// <see cref="PermutationSpec"/> by coordinate descent (the paper's Algorithm 1): each step fixes every permutation but
/// group g's, and P_g solves the linear assignment problem with C_g[k, j] = sum over the tensor axes in g of
/// &lt;A[.., k, ..], B'[.., j, ..]&gt;, where B' is B with its other axes permuted by the current permutations. Sweeps visit
/// the groups in a random order (seeded) and stop when no group improves. BatchNorm scales and shifts count as
/// weights; running statistics are permuted along but do not enter the objective.
/// </para>
/// <para>
/// Activation matching takes, for each group, C_g[k, j] = sum over examples (and spatial positions) and over the
/// group's observed layers of z_A[k] z_B[j], the least-squares match min_P ||Z_A - P Z_B||^2 of the two nets' hidden
/// activations on the given data (the paper's section 3.1), one assignment per group; the models run in eval mode.
/// </para>
/// Neither model is changed: <see cref="AlignmentResult.ApplyTo"/> permutes the second.
/// </remarks>
public static class ModelAlignment
{
    /// <summary>The permutations that align <paramref name="other"/> to <paramref name="reference"/>.</summary>
    /// <param name="reference">theta_A, the net aligned to.</param>
    /// <param name="other">theta_B, the net to permute (not changed here).</param>
    /// <param name="options">Method, sweeps, seed.</param>
    /// <param name="data">The examples activation matching runs on (inputs only are used); not needed for weight matching.</param>
    /// <exception cref="LossLandscapeException">An architecture the spec does not handle, two different architectures, bad options, or activation matching without data.</exception>
    public static AlignmentResult Align(nn.Module<Tensor, Tensor> reference, nn.Module<Tensor, Tensor> other, AlignmentOptions? options = null, BatchSource? data = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(other);
        var o = options ?? new AlignmentOptions();
        if (o.MaxIterations < 1) throw new LossLandscapeException($"Weight matching needs at least 1 sweep; got {o.MaxIterations}.");
        var spec = PermutationSpec.For(reference);
        spec.CheckSameArchitecture(other, "The model to align");
        return o.Method switch
        {
            AlignmentMethod.Weight => WeightMatching(spec, reference, other, o),
            AlignmentMethod.Activation => ActivationMatching(spec, reference, other,
                data ?? throw new LossLandscapeException("Activation matching needs data to run both models on.")),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
    }

    private static AlignmentResult WeightMatching(PermutationSpec spec, nn.Module reference, nn.Module other, AlignmentOptions o)
    {
        var a = Weights(reference);
        var b = Weights(other);
        try
        {
            var perms = spec.Identity();
            var index = spec.IndexVectors(perms);
            double before = Similarity(spec, a, b, index);
            var rng = new Random(o.Seed);
            int sweeps = 0;
            var order = Enumerable.Range(0, spec.Groups.Count).ToArray();
            for (int sweep = 1; sweep <= o.MaxIterations; sweep++)
            {
                sweeps = sweep;
                bool progress = false;
                rng.Shuffle(order);
                foreach (int gi in order)
                {
                    var cost = WeightCost(spec, spec.Groups[gi], a, b, index);
                    double old = LinearAssignment.Total(cost, perms[gi]);
                    var best = LinearAssignment.Solve(cost, maximize: true);
                    double gain = LinearAssignment.Total(cost, best) - old;
                    if (gain > 1e-12 * Math.Max(1, Math.Abs(old)))
                    {
                        perms[gi] = best;
                        index = spec.IndexVectors(perms);
                        progress = true;
                    }
                }
                if (!progress) break;
            }
            return new AlignmentResult("weight", spec, perms, sweeps, Similarity(spec, a, b, index), before);
        }
        finally
        {
            foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
        }
    }

    /// <summary>C_g[k, j] = sum over g's tensor axes of &lt;A sliced at unit k, B' sliced at unit j&gt;, B' = B with its other axes permuted.</summary>
    private static double[,] WeightCost(PermutationSpec spec, PermutationGroup group, Dictionary<string, Tensor> a, Dictionary<string, Tensor> b, long[]?[] index)
    {
        using var scope = NewDisposeScope();
        int n = group.Size;
        Tensor? cost = null;
        foreach (var (space, idx) in group.Members)
        {
            var rows = tensor(idx.Select(i => (long)i).ToArray());
            foreach (var axis in spec.Axes)
            {
                if (axis.Space != space || !a.TryGetValue(axis.Tensor, out var wa)) continue;
                var wb = spec.Permute(axis.Tensor, b[axis.Tensor], index, skipAxis: axis.Axis);
                var sa = wa.index_select(axis.Axis, rows.to(wa.device)).movedim(new long[] { axis.Axis }, new long[] { 0 }).reshape(n, -1);
                var sb = wb.index_select(axis.Axis, rows.to(wb.device)).movedim(new long[] { axis.Axis }, new long[] { 0 }).reshape(n, -1);
                var c = sa.mm(sb.t());
                cost = cost is null ? c : cost.add_(c);
            }
        }
        return ToMatrix(cost ?? zeros(new long[] { n, n }, dtype: ScalarType.Float64), n);
    }

    /// <summary>sum over parameter tensors of &lt;A, B permuted&gt;.</summary>
    private static double Similarity(PermutationSpec spec, Dictionary<string, Tensor> a, Dictionary<string, Tensor> b, long[]?[] index)
    {
        using var scope = NewDisposeScope();
        double s = 0;
        foreach (var (name, wa) in a) s += wa.mul(spec.Permute(name, b[name], index, skipAxis: null)).sum().item<double>();
        return s;
    }

    private static AlignmentResult ActivationMatching(PermutationSpec spec, nn.Module<Tensor, Tensor> reference, nn.Module<Tensor, Tensor> other, BatchSource data)
    {
        var groups = spec.Groups;
        foreach (var g in groups)
            if (!g.Members.Any(m => spec.Observers.ContainsKey(m.Space)))
                throw new LossLandscapeException($"No layer output of group '{g.Name}' can be observed; use weight matching.");
        var capturedA = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var capturedB = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var hooks = new List<Action>();
        var costs = new Tensor[groups.Count];
        try
        {
            Hook(reference, spec, capturedA, hooks);
            Hook(other, spec, capturedB, hooks);
            for (int gi = 0; gi < groups.Count; gi++) costs[gi] = zeros(new long[] { groups[gi].Size, groups[gi].Size }, dtype: ScalarType.Float64).DetachFromDisposeScope();
            using (ModelStateScope.EnterMode(reference, false))
            using (ModelStateScope.EnterMode(other, false))
            using (no_grad())
            {
                data.ForEach((x, _) =>
                {
                    Free(capturedA);
                    Free(capturedB);
                    reference.call(x);
                    other.call(x);
                    for (int gi = 0; gi < groups.Count; gi++)
                    {
                        foreach (var (space, idx) in groups[gi].Members)
                        {
                            if (!spec.Observers.TryGetValue(space, out var modules)) continue;
                            var cols = tensor(idx.Select(i => (long)i).ToArray(), device: x.device);
                            foreach (var name in modules)
                            {
                                if (!capturedA.TryGetValue(name, out var za) || !capturedB.TryGetValue(name, out var zb))
                                    throw new LossLandscapeException($"Module '{name}' did not run in the forward pass; activation matching cannot observe it (use weight matching).");
                                costs[gi].add_(Units(za, cols).t().mm(Units(zb, cols)).to(ScalarType.Float64).cpu());
                            }
                        }
                    }
                });
            }
            var perms = new int[groups.Count][];
            double before = 0, after = 0;
            for (int gi = 0; gi < groups.Count; gi++)
            {
                var c = ToMatrix(costs[gi], groups[gi].Size);
                perms[gi] = LinearAssignment.Solve(c, maximize: true);
                before += LinearAssignment.Total(c, Enumerable.Range(0, groups[gi].Size).ToArray());
                after += LinearAssignment.Total(c, perms[gi]);
            }
            return new AlignmentResult("activation", spec, perms, 1, after, before);
        }
        finally
        {
            foreach (var remove in hooks) remove();
            foreach (var c in costs) c?.Dispose();
            Free(capturedA);
            Free(capturedB);
        }
    }

    /// <summary>A layer output [N, C] or [N, C, ...] as [N * positions, n] over the channels <paramref name="cols"/>.</summary>
    private static Tensor Units(Tensor z, Tensor cols)
    {
        var y = z.index_select(1, cols);
        return y.dim() == 2 ? y : y.movedim(new long[] { 1 }, new long[] { -1 }).reshape(-1, cols.shape[0]);
    }

    private static void Hook(nn.Module model, PermutationSpec spec, Dictionary<string, Tensor> captured, List<Action> hooks)
    {
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        foreach (var name in spec.Observers.Values.SelectMany(v => v).Distinct())
        {
            if (!modules.TryGetValue(name, out var m) || m is not nn.Module<Tensor, Tensor> module)
                throw new LossLandscapeException($"Module '{name}' is not a tensor-to-tensor module of the model; activation matching cannot observe it.");
            // The model's forward may free its intermediate tensors when it returns (its own dispose scope), so the
            // hook keeps a copy, which the batch loop frees.
            var remover = module.register_forward_hook((_, _, output) =>
            {
                using (no_grad())
                {
                    if (captured.Remove(name, out var old)) old.Dispose();
                    captured[name] = output.detach().clone().DetachFromDisposeScope();
                }
                return output;
            });
            hooks.Add(remover.remove);
        }
    }

    private static void Free(Dictionary<string, Tensor> captured)
    {
        foreach (var t in captured.Values) t.Dispose();
        captured.Clear();
    }

    private static Dictionary<string, Tensor> Weights(nn.Module model)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            using var scope = NewDisposeScope();
            d[name] = p.detach().to(ScalarType.Float64).clone().DetachFromDisposeScope();
        }
        return d;
    }

    private static double[,] ToMatrix(Tensor cost, int n)
    {
        using var scope = NewDisposeScope();
        var flat = cost.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var m = new double[n, n];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(double));
        return m;
    }
}
