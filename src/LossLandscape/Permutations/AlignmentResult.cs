using System.Text.Json.Serialization;

namespace LossLandscape.Permutations;

/// <summary>The permutations that align one network to another (<see cref="ModelAlignment.Align"/>).</summary>
/// <param name="Method"><c>weight</c> or <c>activation</c>.</param>
/// <param name="Spec">The permutation groups of the architecture (not serialized).</param>
/// <param name="Permutations">One permutation per group of <see cref="PermutationSpec.Groups"/>: unit Permutations[g][k] of the other net goes to place k.</param>
/// <param name="Iterations">Sweeps over the groups (weight matching) or 1 (activation matching).</param>
/// <param name="Objective">The matched similarity at the end: for weight matching sum over layers of &lt;W_A, P W_B&gt;, for activation matching sum over groups of sum_k C_g[k, pi_g(k)].</param>
/// <param name="ObjectiveBefore">The same similarity with identity permutations.</param>
public sealed record AlignmentResult(string Method, [property: JsonIgnore] PermutationSpec Spec, [property: JsonIgnore] IReadOnlyList<int[]> Permutations,
    int Iterations, double Objective, double ObjectiveBefore)
{
    /// <summary>Each group's name, size and how many of its units the permutation moves.</summary>
    public IReadOnlyList<(string Group, int Size, int Moved)> MovedUnits() =>
        Spec.Groups.Select((g, i) => (g.Name, g.Size, Permutations[i].Where((p, k) => p != k).Count())).ToArray();

    /// <summary>Permutes <paramref name="model"/> (the other network, or a copy of it) in place into alignment.</summary>
    public void ApplyTo(TorchSharp.torch.nn.Module model) => Spec.Apply(model, Permutations);
}
