namespace LossLandscape.Spectra;

/// <summary>One progress report of an eigenvalue iteration.</summary>
/// <param name="Iteration">Steps done so far.</param>
/// <param name="Top">Current top estimates, descending.</param>
/// <param name="Bottom">Current bottom estimates, ascending.</param>
/// <param name="TopResiduals">Residual estimates of <paramref name="Top"/>.</param>
/// <param name="BottomResiduals">Residual estimates of <paramref name="Bottom"/>.</param>
public sealed record EigenProgress(int Iteration, double[] Top, double[] Bottom, double[] TopResiduals, double[] BottomResiduals)
{
    /// <summary>Lanczos: Ritz pairs locked so far.</summary>
    public int Locked { get; init; }

    /// <summary>Lanczos: thick restarts so far.</summary>
    public int Restarts { get; init; }
}
