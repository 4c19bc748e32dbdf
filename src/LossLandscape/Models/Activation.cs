namespace LossLandscape.Models;

/// <summary>Pointwise nonlinearities for MLPs and mean-field nets.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid,
}
