
namespace LossLandscape.Landscape;

/// <summary>The epsilon-sharpness of a point.</summary>
/// <param name="Epsilon">The box size.</param>
/// <param name="Steps">Ascent steps taken.</param>
/// <param name="SubspaceDimension">p of the random subspace, or null for the full space.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="BaseLoss">f(theta).</param>
/// <param name="MaxLoss">The largest f(theta + z) found in the box.</param>
/// <param name="Value">100 (MaxLoss - BaseLoss) / (1 + BaseLoss).</param>
/// <param name="MaxPerturbationNorm">|z| of the maximizer.</param>
/// <param name="TopEigenvalue">The top Hessian eigenvalue when given or provided.</param>
/// <param name="Trace">The Hessian trace when given or provided.</param>
/// <param name="Ascent">f(theta + z_k) at every step k = 0..Steps.</param>
public sealed record SharpnessResult(double Epsilon, int Steps, int? SubspaceDimension, string BatchNorm, string Loss, double BaseLoss,
    double MaxLoss, double Value, double MaxPerturbationNorm, double? TopEigenvalue, double? Trace, IReadOnlyList<double> Ascent);
