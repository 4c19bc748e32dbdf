using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>A path found between two minima, with the straight line for comparison.</summary>
/// <param name="Method"><c>bezier</c>, <c>string</c> or <c>autoneb</c>.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="Line">Loss and accuracy along (1 - t) A + t B.</param>
/// <param name="Path">Loss and accuracy along the found path.</param>
/// <param name="LineBarrier">max_t loss(line(t)) - max(loss(A), loss(B)).</param>
/// <param name="PathBarrier">max_t loss(path(t)) - max(loss(A), loss(B)).</param>
/// <param name="TrainingLoss">The minibatch loss of every optimization step (mean over the t sample, the images or the pivots).</param>
/// <param name="Nodes">The path's control points: A, M, B for Bezier; the chain's images for the string; the pivots for AutoNEB (not serialized).</param>
public sealed record PathResult(string Method, string BatchNorm, string Loss, IReadOnlyList<PathPoint> Line, IReadOnlyList<PathPoint> Path,
    double LineBarrier, double PathBarrier, IReadOnlyList<double> TrainingLoss, [property: JsonIgnore] IReadOnlyList<Tensor> Nodes) : IDisposable
{
    /// <summary>Frees the path's nodes (the result owns them).</summary>
    public void Dispose()
    {
        foreach (var n in Nodes) n.Dispose();
    }
}
