namespace LossLandscape;

/// <summary>
/// Raised for bad input that the library detected: a malformed specification, a file that is not what it claims to
/// be, a shape or dtype that does not fit. The message names the problem and what to do about it.
/// </summary>
public class LossLandscapeException : Exception
{
    /// <summary>Creates the exception with a message that names the problem.</summary>
    public LossLandscapeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public LossLandscapeException(string message, Exception inner) : base(message, inner) { }
}
