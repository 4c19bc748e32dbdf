
namespace LossLandscape.Landscape;

/// <summary>Options of <see cref="PathFinder"/>.</summary>
public sealed record PathOptions
{
    /// <summary>The method.</summary>
    public PathMethod Method { get; init; } = PathMethod.Bezier;

    /// <summary>Optimization steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Learning rate: Adam's step for the Bezier middle point (Adam moves each coordinate by about this much per step, so keep it well below the weights' scale), the gradient step of the string's images, or the first cycle's step of AutoNEB's SGD with momentum 0.9. Default 0.001.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Minibatch size per step, or null for the full training set.</summary>
    public long? BatchSize { get; init; }

    /// <summary>Interior images of the string (the chain has Images + 2 points with the ends); for AutoNEB, the most interior pivots it inserts.</summary>
    public int Images { get; init; } = 8;

    /// <summary>AutoNEB: cycles; <see cref="Steps"/> are split evenly over them, and pivots are inserted after each but the last. Default 4.</summary>
    public int Cycles { get; init; } = 4;

    /// <summary>AutoNEB: the learning rate of cycle c (0-based) is LearningRate * CycleDecay^c. Default 0.5.</summary>
    public double CycleDecay { get; init; } = 0.5;

    /// <summary>Points t in [0, 1] at which the line and the path are evaluated (ends included).</summary>
    public int EvaluationPoints { get; init; } = 21;

    /// <summary>Seed of the t samples and minibatches.</summary>
    public int Seed { get; init; }
}
