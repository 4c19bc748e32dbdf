namespace LossLandscape.Checkpoints;

/// <summary>A checkpoint that cannot be loaded; <see cref="Kind"/> says why and the message says what to do.</summary>
public sealed class CheckpointException : LossLandscapeException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(CheckpointErrorKind kind, string path, string message) : base(message)
    {
        Kind = kind;
        Path = path;
    }

    /// <summary>What is wrong.</summary>
    public CheckpointErrorKind Kind { get; }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }
}
