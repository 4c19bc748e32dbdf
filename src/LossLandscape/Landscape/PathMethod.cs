
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

    /// <summary>
    /// AutoNEB (Draxler et al. 2018, "Essentially No Barriers in Neural Network Energy Landscape"): a nudged elastic band
    /// whose pivots move down the gradient's component normal to the path, run in cycles with a decreasing learning rate;
    /// after each cycle new pivots are inserted where the loss between neighbouring pivots is highest.
    /// </summary>
    AutoNeb,
}
