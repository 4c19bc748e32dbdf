using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// A random transformation of a training batch (for example per-sample shift and flip) that draws every random number
/// from <paramref name="generator"/>; the trainer passes a generator seeded from (run seed, step), so a resumed run
/// repeats the same draws and nothing touches Torch's global generator.
/// </summary>
/// <param name="batch">The inputs of the batch, <c>[B, ...]</c> (not to be modified in place).</param>
/// <param name="generator">The CPU generator to draw from.</param>
/// <returns>The transformed batch (a new tensor, or <paramref name="batch"/> itself when nothing changes).</returns>
public delegate Tensor BatchAugmentation(Tensor batch, Generator generator);
