namespace LossLandscape.Curvature;

/// <summary>Options of the curvature operators (Hessian, Gauss-Newton, residual).</summary>
/// <param name="BatchSize">Examples per forward/backward pass; memory is set by this, not by the data set. Default 1000.</param>
/// <param name="Subset">Use only the first N examples of the data set (null: all). One batch: set Subset = BatchSize.</param>
/// <param name="BatchNorm">Mode of BatchNorm and dropout layers while the operator runs (default <see cref="BatchNormMode.Eval"/>); the model's own modes are put back afterwards.</param>
/// <param name="Include">Restricts the operator to the parameters whose state-dict names it accepts (per-layer spectra); null: every trainable parameter.</param>
public sealed record CurvatureOptions(
    long BatchSize = 1000,
    long? Subset = null,
    BatchNormMode BatchNorm = BatchNormMode.Eval,
    Func<string, bool>? Include = null)
{
    /// <summary>An include filter accepting names that start with any of <paramref name="prefixes"/> (for example <c>0.</c> for the first layer).</summary>
    public static Func<string, bool> Prefixes(params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        var copy = prefixes.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim()).ToArray();
        return name => copy.Any(p => name.StartsWith(p, StringComparison.Ordinal));
    }
}
