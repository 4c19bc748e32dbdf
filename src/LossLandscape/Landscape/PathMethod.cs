
namespace LossLandscape.Landscape;

/// <summary>How a low-loss path between two minima is searched.</summary>
public enum PathMethod
{
    /// <summary>
    /// Quadratic Bezier curve phi(t) = (1 - t)^2 A + 2 t (1 - t) M + t^2 B with a trained middle point M (Garipov et al.
    /// 2018, "Loss Surfaces, Mode Connectivity, and Fast Ensembling of DNNs").
    /// </summary>
    Bezier,

    /// <summary>
    /// String method with fixed ends (the simplified string method of E, Ren and Vanden-Eijnden 2007, in the spirit of
    /// Draxler et al. 2018's nudged elastic band): a chain of images moves down the gradient and is reparametrized to
    /// equal arc length after every step.
    /// </summary>
    String,
}
