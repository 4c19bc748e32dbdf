namespace LossLandscape.Checkpoints;

/// <summary>What is wrong with a checkpoint.</summary>
public enum CheckpointErrorKind
{
    /// <summary>The file does not exist.</summary>
    FileNotFound,
    /// <summary>The file is not in the safetensors format (bad header length, bad JSON, inconsistent offsets).</summary>
    NotSafetensors,
    /// <summary>The file ends before the data its header describes.</summary>
    Truncated,
    /// <summary>A tensor has a dtype this library cannot read.</summary>
    UnsupportedDType,
    /// <summary>The model has state the checkpoint lacks.</summary>
    MissingKeys,
    /// <summary>The checkpoint has tensors the model lacks.</summary>
    UnexpectedKeys,
    /// <summary>A tensor's shape differs between checkpoint and model.</summary>
    ShapeMismatch,
    /// <summary>A weight holds NaN or Inf.</summary>
    NonFinite,
}
