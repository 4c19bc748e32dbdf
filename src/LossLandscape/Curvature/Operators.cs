using static TorchSharp.torch;

namespace LossLandscape.Curvature;

/// <summary>Combinators that build new symmetric operators from existing ones, without forming any matrix.</summary>
public static class Operators
{
    /// <summary>A + B (both applied to the same vector).</summary>
    public static ISymmetricOperator Sum(ISymmetricOperator a, ISymmetricOperator b) => new SumOperator(a, b);

    /// <summary>c A.</summary>
    public static ISymmetricOperator Scale(ISymmetricOperator a, double c) => new ScaledOperator(a, c);

    /// <summary>A - B.</summary>
    public static ISymmetricOperator Difference(ISymmetricOperator a, ISymmetricOperator b) => new SumOperator(a, new ScaledOperator(b, -1.0));

    /// <summary>A + s I (shifts every eigenvalue by <paramref name="shift"/>).</summary>
    public static ISymmetricOperator Shift(ISymmetricOperator a, double shift) => new ShiftedOperator(a, shift);
}
