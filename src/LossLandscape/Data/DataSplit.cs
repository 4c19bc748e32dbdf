using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// A training and a test set of the same data, with a description of where they came from. Owns both sets.
/// </summary>
/// <param name="Train">The training set.</param>
/// <param name="Test">The test set (may be empty when the source has none).</param>
/// <param name="Source">Where the data was found: a folder, a file, "embedded", or a synthetic spec.</param>
public sealed record DataSplit(Dataset Train, Dataset Test, string Source) : IDisposable
{
    /// <summary>
    /// Remarks for the user, for example that the catalog fell back to the embedded digits because no larger real
    /// data set is present, or that a file had no test tensors. Null when there is nothing to say.
    /// </summary>
    public string? Note { get; init; }

    /// <summary>The class names (those of the training set).</summary>
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    /// <summary>A copy of both sets on <paramref name="device"/>, inputs in <paramref name="dtype"/> when given.</summary>
    public DataSplit To(Device device, ScalarType? dtype = null) =>
        new(Train.To(device, dtype), Test.To(device, dtype), Source) { Note = Note };

    /// <summary>Frees both sets.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
