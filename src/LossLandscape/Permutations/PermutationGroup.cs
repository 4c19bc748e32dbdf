namespace LossLandscape.Permutations;

/// <summary>
/// A set of units that one permutation moves together: <see cref="Size"/> units, found at the channels
/// <c>Members[m].Indices[k]</c> of the feature space <c>Members[m].Space</c> for unit k. Units of one group that share
/// a space are exchangeable; a residual addition ties the spaces it adds into one group.
/// </summary>
/// <param name="Name">A readable name: the module that produces its first space, and the channels there.</param>
/// <param name="Size">n, the number of units the permutation acts on.</param>
/// <param name="Members">Each feature space the group appears in, with the channel of each of its n units there.</param>
public sealed record PermutationGroup(string Name, int Size, IReadOnlyList<(int Space, int[] Indices)> Members);
