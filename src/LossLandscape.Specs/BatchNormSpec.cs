using LossLandscape.Landscape;

namespace LossLandscape.Specs;

/// <summary>The front ends' names of the BatchNorm policies of probes.</summary>
public static class BatchNormSpec
{
    /// <summary>The command-line names of the policies: <c>eval</c>, <c>interpolate</c>, <c>recompute</c>.</summary>
    public const string Syntax = "eval (stored statistics), interpolate (statistics interpolated like the weights; line scans between two models) or recompute (statistics recomputed on training batches at every point)";

    /// <summary>Parses <c>eval</c>, <c>interpolate</c> or <c>recompute</c> (null or empty gives null: the default).</summary>
    /// <exception cref="LossLandscapeException">Any other name.</exception>
    public static BatchNormPolicy? Parse(string? name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "auto" or "default" => null,
        "eval" => BatchNormPolicy.Eval,
        "interpolate" or "interpolatestatistics" or "interpolate-statistics" => BatchNormPolicy.InterpolateStatistics,
        "recompute" => BatchNormPolicy.Recompute,
        _ => throw new LossLandscapeException($"BatchNorm policy '{name}' is not known: use {Syntax}."),
    };
}
