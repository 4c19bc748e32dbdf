namespace LossLandscape.Spectra;

/// <summary>How a Lanczos run keeps its basis orthogonal.</summary>
public enum Reorthogonalization
{
    /// <summary>
    /// Partial reorthogonalization (Simon 1984): the loss of orthogonality w_{j+1,k} ~ q_{j+1} . q_k is estimated by
    /// the recurrence that the Lanczos relation implies for it, and only when max_k |w_{j+1,k}| exceeds sqrt(eps) is the
    /// new vector (and the next one) reorthogonalized, against the vectors whose estimate exceeds eps^(3/4) (the modified
    /// partial reorthogonalization of Simon and of Larsen's PROPACK). The basis stays semi-orthogonal, which keeps the Ritz
    /// values as accurate as with full reorthogonalization, at a fraction of the cost.
    /// </summary>
    Partial,

    /// <summary>
    /// Every new vector is reorthogonalized against the whole basis by classical Gram-Schmidt, with a second pass only
    /// when the first one removed more than 1 - 1/sqrt(2) of its norm (Daniel, Gragg, Kaufman and Stewart 1976).
    /// </summary>
    Full,

    /// <summary>The plain three-term recurrence (rounding brings spurious copies of converged eigenvalues); a restart takes the basis as orthonormal (the classical thick restart).</summary>
    None,
}
