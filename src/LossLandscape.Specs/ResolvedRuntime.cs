using static TorchSharp.torch;

namespace LossLandscape.Specs;

/// <summary>The outcome of <see cref="RuntimeOptions.Apply"/>.</summary>
/// <param name="Device">The device to compute on.</param>
/// <param name="DType">The floating dtype of models and data.</param>
/// <param name="HostRandom">Host-side generator seeded from the run's seed.</param>
public sealed record ResolvedRuntime(Device Device, ScalarType DType, Random HostRandom);
