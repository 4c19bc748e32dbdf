namespace LossLandscape.Figures;

/// <summary>What a figure run says about its claim.</summary>
public enum ClaimStatus
{
    /// <summary>Every precondition was met and the claim held.</summary>
    Holds,
    /// <summary>Every precondition was met and the claim did not hold.</summary>
    DoesNotHold,
    /// <summary>A precondition failed, so the run says nothing about the claim either way.</summary>
    NotEstablished,
}
