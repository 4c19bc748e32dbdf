namespace LossLandscape.Permutations;

/// <summary>Options of <see cref="ModelAlignment.Align"/>.</summary>
public sealed record AlignmentOptions
{
    /// <summary>Weight or activation matching.</summary>
    public AlignmentMethod Method { get; init; } = AlignmentMethod.Weight;

    /// <summary>Weight matching: at most this many sweeps over the groups (it stops earlier when no group improves). Default 100.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>Weight matching: seed of the random order in which each sweep visits the groups.</summary>
    public int Seed { get; init; }
}
