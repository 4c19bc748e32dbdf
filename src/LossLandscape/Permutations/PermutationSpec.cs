using LossLandscape.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Permutations;

/// <summary>
/// The hidden-unit permutation symmetries of a network, derived from its modules: which axes of which state-dict
/// tensors each permutation group moves. Permuting every group (<see cref="Apply"/>) leaves the function the network
/// computes unchanged.
/// </summary>
/// <remarks>
/// <para>
/// The spec is read off the module tree, not written by hand: <see cref="For"/> walks the layers (Linear, Conv2d,
/// BatchNorm, pointwise nonlinearities) and the residual additions of the blocks and records the feature spaces and
/// the ties between their channels. A residual addition ties the channels of the spaces it adds, so a CIFAR ResNet's
/// whole stage (stem or first block's input, every block's output) is one group; each block's inner space is another.
/// The option-A shortcut of a widening block adds the narrower stage's channels at an offset and zeros elsewhere: the
/// carried-over channels stay tied to the narrower stage's group, and the zero-padded slots form a group of their own
/// (for ResNet-20: 16 stream channels, 16 new channels of stage 2, 32 of stage 3, and one inner group of 16, 32 or 64
/// per block). The input and output axes are never permuted.
/// </para>
/// <para>
/// A permutation pi of a group of n units moves unit pi(k) of the network to place k: for each member space with channels
/// idx, the tensor's slice idx[k] along the axis becomes the old slice idx[pi(k)]. Models handled: <see cref="Mlp"/>,
/// <c>nn.Sequential</c> chains of Linear, BatchNorm1d, pointwise nonlinearities and Dropout, and <see cref="CifarResNet"/>
/// with or without shortcuts. Any other module is refused with its name.
/// </para>
/// </remarks>
public sealed class PermutationSpec
{
    private readonly ChannelGraph _graph;

    private PermutationSpec(ChannelGraph graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        _graph = graph;
        Groups = graph.Groups();
        Shapes = shapes;
    }

    /// <summary>The permutation groups, in the order of the spaces they first appear in.</summary>
    public IReadOnlyList<PermutationGroup> Groups { get; }

    /// <summary>Every tensor axis that indexes a feature space.</summary>
    public IReadOnlyList<PermutedAxis> Axes => _graph.Axes;

    /// <summary>The feature spaces' names (the module that produces each; <c>input</c> for the input).</summary>
    public IReadOnlyList<string> SpaceNames => _graph.SpaceNames;

    /// <summary>The feature spaces' widths (channels).</summary>
    public IReadOnlyList<int> Widths => _graph.Widths;

    /// <summary>The shape of every state-dict tensor of the model the spec was derived from.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>The modules (by <c>named_modules</c> name) whose outputs carry each space on axis 1, for activation matching.</summary>
    internal IReadOnlyDictionary<int, List<string>> Observers => _graph.Observers;

    /// <summary>Derives the spec of <paramref name="model"/> from its modules.</summary>
    /// <exception cref="LossLandscapeException">The architecture (or one of its modules, which the message names) is not one the derivation knows.</exception>
    public static PermutationSpec For(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = new ChannelGraph();
        switch (model)
        {
            case Mlp or Sequential:
                WalkChain(g, model);
                break;
            case CifarResNet resnet:
                WalkResNet(g, resnet);
                break;
            default:
                throw new LossLandscapeException(
                    $"Permutation alignment cannot derive the symmetries of a {model.GetType().Name} ('{model.GetName()}'): it handles MLPs (Mlp, or nn.Sequential of Linear, BatchNorm1d, pointwise nonlinearities) and CIFAR ResNets (CifarResNet).");
        }
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, t) in model.state_dict()) shapes[name] = t.shape.ToArray();
        var known = new HashSet<string>(g.Axes.Select(a => a.Tensor).Concat(g.Unpermuted), StringComparer.Ordinal);
        foreach (var name in shapes.Keys)
            if (!known.Contains(name))
                throw new LossLandscapeException($"Permutation alignment does not know how the tensor '{name}' of the {model.GetType().Name} is indexed; no permutation could be applied safely.");
        foreach (var a in g.Axes)
        {
            if (!shapes.TryGetValue(a.Tensor, out var shape))
                throw new LossLandscapeException($"The permutation walk expected a tensor '{a.Tensor}' that the model does not have.");
            if (shape.Length <= a.Axis || shape[a.Axis] != g.Widths[a.Space])
                throw new LossLandscapeException($"Tensor '{a.Tensor}' of shape [{string.Join(", ", shape)}] does not have {g.Widths[a.Space]} entries on axis {a.Axis} (the width of '{g.SpaceNames[a.Space]}').");
        }
        return new PermutationSpec(g, shapes);
    }

    /// <summary>The identity permutation of every group.</summary>
    public int[][] Identity() => Groups.Select(gr => Enumerable.Range(0, gr.Size).ToArray()).ToArray();

    /// <summary>A uniformly random permutation of every group (Fisher-Yates with <paramref name="rng"/>).</summary>
    public int[][] Random(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var perms = Identity();
        foreach (var p in perms) rng.Shuffle(p);
        return perms;
    }

    /// <summary>The inverse of each permutation: q[p[k]] = k.</summary>
    public static int[][] Inverse(IReadOnlyList<int[]> permutations)
    {
        ArgumentNullException.ThrowIfNull(permutations);
        return permutations.Select(p =>
        {
            var q = new int[p.Length];
            for (int k = 0; k < p.Length; k++) q[p[k]] = k;
            return q;
        }).ToArray();
    }

    /// <summary>Checks that <paramref name="model"/> has exactly the state-dict names and shapes this spec was derived from.</summary>
    /// <exception cref="LossLandscapeException">A tensor is missing, extra or of another shape.</exception>
    public void CheckSameArchitecture(nn.Module model, string what)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sd = model.state_dict();
        foreach (var (name, shape) in Shapes)
        {
            if (!sd.TryGetValue(name, out var t))
                throw new LossLandscapeException($"{what} has no tensor '{name}': align two models of one architecture.");
            if (!t.shape.SequenceEqual(shape))
                throw new LossLandscapeException($"{what}'s tensor '{name}' has shape [{string.Join(", ", t.shape)}], the other model's [{string.Join(", ", shape)}]: align two models of one architecture.");
        }
        foreach (var name in sd.Keys)
            if (!Shapes.ContainsKey(name)) throw new LossLandscapeException($"{what} has a tensor '{name}' that the other model lacks: align two models of one architecture.");
    }

    /// <summary>
    /// Permutes <paramref name="model"/>'s parameters and buffers in place by <paramref name="permutations"/> (one per
    /// group, in the order of <see cref="Groups"/>): the model computes the same function afterwards.
    /// </summary>
    /// <exception cref="LossLandscapeException">A permutation of the wrong size or not a permutation; a model of another architecture.</exception>
    public void Apply(nn.Module model, IReadOnlyList<int[]> permutations)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckSameArchitecture(model, "The model");
        var index = IndexVectors(permutations);
        var sd = model.state_dict();
        using var _ = no_grad();
        foreach (var name in Axes.Select(a => a.Tensor).Distinct())
        {
            using var scope = NewDisposeScope();
            var live = sd[name];
            var moved = Permute(name, live, index, skipAxis: null);
            if (!ReferenceEquals(moved, live)) live.copy_(moved);
        }
    }

    /// <summary>
    /// For every space, the gather index that the permutations put on its channel axis (null where it is the identity):
    /// new[i] = old[index[i]].
    /// </summary>
    internal long[]?[] IndexVectors(IReadOnlyList<int[]> permutations)
    {
        ArgumentNullException.ThrowIfNull(permutations);
        if (permutations.Count != Groups.Count)
            throw new LossLandscapeException($"Give one permutation per group ({Groups.Count}); got {permutations.Count}.");
        var index = new long[]?[Widths.Count];
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var group = Groups[gi];
            var p = permutations[gi] ?? throw new LossLandscapeException($"The permutation of group '{group.Name}' is missing.");
            if (p.Length != group.Size || p.Distinct().Count() != p.Length || p.Any(v => v < 0 || v >= group.Size))
                throw new LossLandscapeException($"The permutation of group '{group.Name}' must hold each of 0..{group.Size - 1} once.");
            bool identity = true;
            for (int k = 0; k < p.Length; k++) identity &= p[k] == k;
            if (identity) continue;
            foreach (var (space, idx) in group.Members)
            {
                var v = index[space] ??= Enumerable.Range(0, Widths[space]).Select(i => (long)i).ToArray();
                for (int k = 0; k < idx.Length; k++) v[idx[k]] = idx[p[k]];
            }
        }
        return index;
    }

    /// <summary>
    /// <paramref name="tensor"/> (the state-dict tensor <paramref name="name"/>) with every axis permuted by
    /// <paramref name="index"/> except <paramref name="skipAxis"/>; the tensor itself when nothing moves.
    /// </summary>
    internal Tensor Permute(string name, Tensor tensor, long[]?[] index, int? skipAxis)
    {
        var x = tensor;
        foreach (var a in Axes)
        {
            if (a.Tensor != name || a.Axis == skipAxis || index[a.Space] is not long[] v) continue;
            x = x.index_select(a.Axis, torch.tensor(v, device: x.device));
        }
        return x;
    }

    private static void WalkChain(ChannelGraph g, nn.Module model)
    {
        int space = -1;
        foreach (var (name, child) in model.named_children())
        {
            switch (child)
            {
                case Linear linear:
                {
                    int inputs = (int)linear.weight!.shape[1], outputs = (int)linear.weight.shape[0];
                    if (space < 0) space = g.Input(inputs);
                    else if (g.Widths[space] != inputs)
                        throw new LossLandscapeException($"Layer '{name}' takes {inputs} inputs, but the layer before it gives {g.Widths[space]}.");
                    space = g.Layer(name, space, outputs, linear.bias is not null);
                    break;
                }
                case BatchNorm bn when space >= 0:
                    g.BatchNorm(name, space, bn.weight is not null, bn.track_running_stats);
                    g.Observe(space, name);
                    break;
                case ReLU or Tanh or Sigmoid or GELU or LeakyReLU or ELU or SiLU or Softplus or Dropout or TorchSharp.Modules.Identity when space >= 0:
                    g.Observe(space, name);
                    break;
                case Flatten or TorchSharp.Modules.Identity when space < 0:
                    break;
                default:
                    throw new LossLandscapeException(
                        $"Permutation alignment does not know module '{name}' ({child.GetType().Name}) of the {model.GetType().Name}: a chain may hold Linear, BatchNorm1d, pointwise nonlinearities (ReLU, Tanh, Sigmoid, GELU, ...) and Dropout.");
            }
        }
        if (space < 0) throw new LossLandscapeException($"The {model.GetType().Name} has no Linear layer to permute.");
        g.Fix(space);
    }

    private static void WalkResNet(ChannelGraph g, CifarResNet model)
    {
        var children = model.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        var stem = Conv(children, "conv1");
        int x = g.Input((int)stem.weight!.shape[1]);
        int s = ConvLayer(g, "conv1", stem, x);
        Norm(g, children, "bn1", s);
        g.Observe(s, "bn1");
        foreach (var stage in new[] { "layer1", "layer2", "layer3" })
        {
            if (!children.TryGetValue(stage, out var seq) || seq is not Sequential blocks)
                throw new LossLandscapeException($"The CifarResNet has no stage '{stage}' of blocks.");
            foreach (var (j, module) in blocks.named_children())
            {
                var p = $"{stage}.{j}";
                if (module is not ResNetBasicBlock block)
                    throw new LossLandscapeException($"Permutation alignment does not know module '{p}' ({module.GetType().Name}); a stage holds ResNetBasicBlocks.");
                var parts = block.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
                int h = ConvLayer(g, $"{p}.conv1", Conv(parts, "conv1", p), s);
                Norm(g, parts, "bn1", h, p);
                g.Observe(h, $"{p}.bn1");
                int o = ConvLayer(g, $"{p}.conv2", Conv(parts, "conv2", p), h);
                Norm(g, parts, "bn2", o, p);
                if (block.HasShortcut) g.Add(o, s, (int)block.PadBefore);
                g.Observe(o, p);
                s = o;
            }
        }
        if (!children.TryGetValue("linear", out var head) || head is not Linear classifier)
            throw new LossLandscapeException("The CifarResNet has no Linear classifier 'linear'.");
        if (classifier.weight!.shape[1] != g.Widths[s])
            throw new LossLandscapeException($"The classifier takes {classifier.weight.shape[1]} inputs, the last stage gives {g.Widths[s]}.");
        g.Fix(g.Layer("linear", s, (int)classifier.weight.shape[0], classifier.bias is not null));
    }

    private static Conv2d Conv(Dictionary<string, nn.Module> children, string name, string? prefix = null)
    {
        string full = prefix is null ? name : $"{prefix}.{name}";
        if (!children.TryGetValue(name, out var m) || m is not Conv2d conv)
            throw new LossLandscapeException($"Permutation alignment expected a Conv2d '{full}'{(m is null ? "" : $", found {m.GetType().Name}")}.");
        return conv;
    }

    private static int ConvLayer(ChannelGraph g, string name, Conv2d conv, int input)
    {
        if (conv.weight!.shape[1] != g.Widths[input])
            throw new LossLandscapeException($"Convolution '{name}' takes {conv.weight.shape[1]} channels per group, its input has {g.Widths[input]}; grouped convolutions cannot be permuted here.");
        return g.Layer(name, input, (int)conv.weight.shape[0], conv.bias is not null);
    }

    private static void Norm(ChannelGraph g, Dictionary<string, nn.Module> children, string name, int space, string? prefix = null)
    {
        string full = prefix is null ? name : $"{prefix}.{name}";
        if (!children.TryGetValue(name, out var m) || m is not BatchNorm bn)
            throw new LossLandscapeException($"Permutation alignment expected a BatchNorm '{full}'.");
        g.BatchNorm(full, space, bn.weight is not null, bn.track_running_stats);
    }
}
