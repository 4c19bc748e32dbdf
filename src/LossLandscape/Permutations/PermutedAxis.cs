namespace LossLandscape.Permutations;

/// <summary>One axis of one state-dict tensor that indexes the units of a feature space.</summary>
/// <param name="Tensor">The state-dict name, for example <c>0.weight</c> or <c>layer1.0.bn1.running_mean</c>.</param>
/// <param name="Axis">The axis of that tensor (0 for a layer's outputs, 1 for a weight's inputs).</param>
/// <param name="Space">The feature space it indexes (<see cref="PermutationSpec.SpaceNames"/>).</param>
public sealed record PermutedAxis(string Tensor, int Axis, int Space);
