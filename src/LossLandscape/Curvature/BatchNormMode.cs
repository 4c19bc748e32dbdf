namespace LossLandscape.Curvature;

/// <summary>How BatchNorm (and dropout) layers behave while a curvature operator runs.</summary>
public enum BatchNormMode
{
    /// <summary>
    /// Eval mode (the default): BatchNorm normalizes with its running statistics and dropout is off, so the loss is a
    /// fixed function of the weights and the batch split does not change the operator.
    /// </summary>
    Eval,

    /// <summary>
    /// Train mode: BatchNorm normalizes with each batch's own statistics, so the operator depends on how the data are
    /// split into batches. The running statistics that the forward passes update are put back after every application.
    /// </summary>
    Train,
}
