namespace LossLandscape.Spectra;

/// <summary>The Gauss quadrature of one probe: nodes theta_j (Ritz values) and weights tau_j = (e_1^T s_j)^2, summing to 1.</summary>
/// <param name="Nodes">theta_j, ascending.</param>
/// <param name="Weights">tau_j.</param>
public sealed record QuadratureRule(double[] Nodes, double[] Weights);
