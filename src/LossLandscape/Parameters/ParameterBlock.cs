
namespace LossLandscape.Parameters;

/// <summary>One parameter tensor's place inside the flat vector.</summary>
/// <param name="Name">The parameter's state-dict name (for example <c>0.weight</c>).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Offset">Index of its first element in the flat vector.</param>
/// <param name="Count">Its number of elements.</param>
public sealed record ParameterBlock(string Name, long[] Shape, long Offset, long Count)
{
    /// <summary>True for a weight of a linear or convolutional layer (two or more dimensions).</summary>
    public bool IsFilterBank => Shape.Length >= 2;
}
