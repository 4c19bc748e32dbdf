
namespace LossLandscape.Models;

/// <summary>A model and a data set (or a loss) that do not fit together; the message names both sides and the fix.</summary>
public sealed class ModelDataMismatchException : LossLandscapeException
{
    /// <summary>Creates the exception.</summary>
    public ModelDataMismatchException(ModelDataMismatch kind, string message) : base(message) => Kind = kind;

    /// <summary>What does not fit.</summary>
    public ModelDataMismatch Kind { get; }
}
