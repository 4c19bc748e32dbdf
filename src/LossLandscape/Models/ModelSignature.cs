using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// What a model expects of its inputs and produces, read from its layers without running it: the first layer that
/// touches the input (a <c>Linear</c> or <c>Conv2d</c>), the image size an AlexNet-style net was built for, the
/// number of outputs of its last <c>Linear</c>, and its parameters' dtype and device.
/// </summary>
/// <param name="FirstLayer">Name of the first Linear or Conv2d layer (empty when there is none).</param>
/// <param name="InputFeatures">in_features of a first Linear layer.</param>
/// <param name="Flattens">True when the model flattens each example before its first Linear layer (the MLPs and
/// mean-field nets of this library); then the example's total size must equal <paramref name="InputFeatures"/>.</param>
/// <param name="InputChannels">in_channels of a first Conv2d layer.</param>
/// <param name="ImageSize">H and W the model was built for, when its classifier depends on them (AlexNet-style nets).</param>
/// <param name="OutputLayer">Name of the last Linear layer.</param>
/// <param name="Outputs">out_features of the last Linear layer: the number of outputs.</param>
/// <param name="DType">dtype of the parameters.</param>
/// <param name="Device">device of the parameters.</param>
public sealed record ModelSignature(string FirstLayer, long? InputFeatures, bool Flattens, long? InputChannels, long[]? ImageSize,
    string OutputLayer, long? Outputs, ScalarType? DType, string? Device);
