namespace LossLandscape.Permutations;

/// <summary>How the hidden units of one network are matched to another's (Ainsworth, Hayase and Srinivasa 2023, "Git Re-Basin").</summary>
public enum AlignmentMethod
{
    /// <summary>
    /// Weight matching: maximize sum over layers of &lt;W_A, P W_B&gt; by coordinate descent over the permutation groups,
    /// each step one linear assignment problem. Needs no data.
    /// </summary>
    Weight,

    /// <summary>
    /// Activation matching: for each group, the permutation maximizing sum over examples of &lt;z_A, P z_B&gt; (the
    /// least-squares match of the two nets' hidden activations on data), one linear assignment problem per group.
    /// </summary>
    Activation,
}
