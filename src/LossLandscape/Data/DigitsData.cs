using System.Globalization;
using System.IO.Compression;
using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// The UCI optical digits, embedded in this assembly so that a real data set is always at hand: 1,797 images of
/// 8 x 8 pixels (values 0..16), 10 classes "0".."9". Source: UCI Machine Learning Repository, "Optical Recognition of
/// Handwritten Digits", E. Alpaydin and C. Kaynak, CC BY 4.0 (see DIGITS-LICENSE.txt in the package).
/// </summary>
/// <remarks>
/// Inputs are float32 <c>[P, 1, 8, 8]</c> with x = value / 16 in [0, 1]. The split is fixed and deterministic: the
/// first <see cref="TrainCount"/> = 1500 rows of the file are the training set, the remaining 297 the test set.
/// </remarks>
public static class DigitsData
{
    /// <summary>Number of images.</summary>
    public const int Count = 1797;

    /// <summary>Number of training images (the file's first rows); the rest are the test set.</summary>
    public const int TrainCount = 1500;

    /// <summary>The embedded resource's name.</summary>
    public const string ResourceName = "LossLandscape.Resources.digits.csv.gz";

    /// <summary>Where the data comes from, for <see cref="DataSplit.Source"/>.</summary>
    public const string SourceDescription = "embedded UCI optical digits (Alpaydin & Kaynak, UCI ML Repository, CC BY 4.0)";

    /// <summary>The class names "0".."9".</summary>
    public static readonly IReadOnlyList<string> ClassNames = Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Loads all 1,797 examples in file order (CPU, float32).</summary>
    public static Dataset LoadAll()
    {
        using var stream = typeof(DigitsData).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing from {typeof(DigitsData).Assembly.GetName().Name}.");
        using var gz = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var pixels = new float[Count * 64];
        var labels = new long[Count];
        int row = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            if (row >= Count) throw new InvalidOperationException($"The embedded digits have more than {Count} rows.");
            var fields = line.Split(',');
            if (fields.Length != 65) throw new InvalidOperationException($"Embedded digits row {row} has {fields.Length} fields, expected 65.");
            for (int j = 0; j < 64; j++)
                pixels[row * 64 + j] = float.Parse(fields[j], NumberStyles.Float, CultureInfo.InvariantCulture) / 16f;
            labels[row] = (long)float.Parse(fields[64], NumberStyles.Float, CultureInfo.InvariantCulture);
            row++;
        }
        if (row != Count) throw new InvalidOperationException($"The embedded digits have {row} rows, expected {Count}.");
        return new Dataset("digits", tensor(pixels, new long[] { Count, 1, 8, 8 }), tensor(labels, new long[] { Count }), ClassNames);
    }

    /// <summary>Loads the fixed split: the first 1500 rows for training, the last 297 for testing.</summary>
    public static DataSplit Load()
    {
        using var all = LoadAll();
        var train = new Dataset("digits/train", all.Inputs.narrow(0, 0, TrainCount).clone(), all.Labels.narrow(0, 0, TrainCount).clone(), ClassNames);
        var test = new Dataset("digits/test", all.Inputs.narrow(0, TrainCount, Count - TrainCount).clone(), all.Labels.narrow(0, TrainCount, Count - TrainCount).clone(), ClassNames);
        return new DataSplit(train, test, SourceDescription);
    }
}
