using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>What a model/data/loss mismatch is about (<see cref="ModelDataMismatchException.Kind"/>).</summary>
public enum ModelDataMismatch
{
    /// <summary>The number of input values of one example differs from what the model's first layer takes.</summary>
    InputSize,
    /// <summary>The model's first layer is a convolution and the examples are not images C x H x W.</summary>
    InputRank,
    /// <summary>The examples have another number of channels than the model's first convolution.</summary>
    InputChannels,
    /// <summary>The examples have another height or width than the model was built for.</summary>
    ImageSize,
    /// <summary>The data have more classes than the model has outputs.</summary>
    Classes,
    /// <summary>A label is outside the range the model's outputs can express.</summary>
    LabelRange,
    /// <summary>The labels are not int64.</summary>
    LabelDType,
    /// <summary>The loss cannot be computed from the model's outputs (cross-entropy or hinge on one output).</summary>
    Loss,
    /// <summary>Inputs and parameters have different dtypes.</summary>
    DType,
    /// <summary>Inputs and parameters live on different devices.</summary>
    Device,
}
