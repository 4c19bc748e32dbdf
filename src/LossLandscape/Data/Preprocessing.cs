using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Preprocessing toggles for image batches <c>[N, C, H, W]</c>. All off is the identity.
/// </summary>
/// <param name="Normalize">Per-channel normalization x'_c = (x_c - mean_c) / std_c, for training and test data.</param>
/// <param name="Shift">Random shift for training batches: zero-pad by <paramref name="Pad"/> pixels on each side, then crop a random H x W window, drawn per sample.</param>
/// <param name="Flip">Random horizontal flip for training batches, with probability <paramref name="FlipProbability"/> per sample.</param>
/// <param name="Pad">Padding of the random shift in pixels (default 4): shifts are uniform in [-Pad, Pad] in each direction.</param>
/// <param name="FlipProbability">Probability of flipping a sample (default 0.5).</param>
public sealed record Preprocessing(bool Normalize = false, bool Shift = false, bool Flip = false, int Pad = 4, double FlipProbability = 0.5)
{
    /// <summary>Everything off: the identity.</summary>
    public static Preprocessing None { get; } = new();

    /// <summary>The usual CIFAR training setup: normalize, shift by up to 4 pixels and flip.</summary>
    public static Preprocessing Standard { get; } = new(Normalize: true, Shift: true, Flip: true);

    /// <summary>Whether any training-time augmentation is on.</summary>
    public bool Augments => Shift || Flip;

    /// <summary>Checks the numbers.</summary>
    /// <exception cref="LossLandscapeException">Negative padding or a probability outside [0, 1].</exception>
    public Preprocessing Validate()
    {
        if (Pad < 0) throw new LossLandscapeException($"Shift padding {Pad} is not valid: give 0 or more pixels.");
        if (!(FlipProbability >= 0 && FlipProbability <= 1)) throw new LossLandscapeException($"Flip probability {FlipProbability} is not valid: give a number in [0, 1].");
        return this;
    }
}
