
namespace LossLandscape.Landscape;

/// <summary>Options of <see cref="PathFinder"/>.</summary>
public sealed record PathOptions
{
    /// <summary>The method.</summary>
    public PathMethod Method { get; init; } = PathMethod.Bezier;

    /// <summary>Optimization steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Learning rate: Adam's step for the Bezier middle point (Adam moves each coordinate by about this much per step, so keep it well below the weights' scale), or the gradient step of the string's images. Default 0.001.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Minibatch size per step, or null for the full training set.</summary>
    public long? BatchSize { get; init; }

    /// <summary>Interior images of the string (the chain has Images + 2 points with the ends).</summary>
    public int Images { get; init; } = 8;

    /// <summary>Points t in [0, 1] at which the line and the path are evaluated (ends included).</summary>
    public int EvaluationPoints { get; init; } = 21;

    /// <summary>Seed of the t samples and minibatches.</summary>
    public int Seed { get; init; }
}
