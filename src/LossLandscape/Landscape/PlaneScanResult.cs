namespace LossLandscape.Landscape;

/// <summary>
/// The result of a plane scan, ready for contour and surface plots: values[j][i] is the value at (x_i, y_j).
/// </summary>
/// <param name="Kind">The plane's kind.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="Fingerprint">The inputs' fingerprint.</param>
/// <param name="Grid">The grid.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values.</param>
/// <param name="Losses">Training loss, rows along y: Losses[j][i].</param>
/// <param name="Accuracies">Training accuracy, same layout.</param>
/// <param name="TestLosses">Test loss, same layout, or null.</param>
/// <param name="TestAccuracies">Test accuracy, same layout, or null.</param>
/// <param name="Anchors">Named points of the plane.</param>
public sealed record PlaneScanResult(string Kind, string BatchNorm, string Loss, string Fingerprint, GridSpec Grid, double[] X, double[] Y,
    double[][] Losses, double[][] Accuracies, double[][]? TestLosses, double[][]? TestAccuracies, IReadOnlyList<PlaneAnchor> Anchors);
