using LossLandscape.Losses;

namespace LossLandscape.Specs;

/// <summary>The front ends' names of the losses: <c>ce</c>, <c>mse</c>, <c>hinge</c>.</summary>
public static class LossSpec
{
    /// <summary>The loss names <see cref="Parse"/> accepts.</summary>
    public const string Syntax = "ce (cross-entropy), mse (squared error on one-hot targets) or hinge (multi-class hinge)";

    /// <summary>Parses <c>ce</c>, <c>mse</c> or <c>hinge</c>.</summary>
    /// <exception cref="LossLandscapeException">Any other name.</exception>
    public static LossFunction Parse(string? name) => (name ?? "ce").Trim().ToLowerInvariant() switch
    {
        "ce" or "cross-entropy" or "nll" => new CrossEntropyLoss(),
        "mse" => new SquaredErrorLoss(),
        "hinge" => new MultiClassHingeLoss(),
        _ => throw new LossLandscapeException($"Loss '{name}' is not supported: use {Syntax}."),
    };
}
