namespace LossLandscape.Landscape;

/// <summary>An edge of a <see cref="SaddleTree"/>: minima <paramref name="A"/> and <paramref name="B"/> and the saddle loss of the path between them.</summary>
/// <param name="A">The lower index.</param>
/// <param name="B">The higher index.</param>
/// <param name="Saddle">The highest loss along the best path found between the two minima.</param>
public sealed record SaddleEdge(int A, int B, double Saddle);
