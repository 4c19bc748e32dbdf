using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Reads the binary versions of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html). A CIFAR-10
/// record is 1 label byte then 3072 pixel bytes; a CIFAR-100 record is a coarse and a fine label byte then 3072 pixel
/// bytes. The pixels are 1024 red, 1024 green, 1024 blue values, each plane row-major 32 x 32, so a record's pixels
/// are already in <c>[C, H, W]</c> order.
/// </summary>
public static class CifarReader
{
    /// <summary>Bytes of one image: 3 x 32 x 32.</summary>
    public const int ImageBytes = 3 * 32 * 32;

    /// <summary>The training files of CIFAR-10's binary version.</summary>
    public static readonly IReadOnlyList<string> Cifar10TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test file of CIFAR-10's binary version.</summary>
    public const string Cifar10TestFile = "test_batch.bin";

    /// <summary>The training file of CIFAR-100's binary version.</summary>
    public const string Cifar100TrainFile = "train.bin";

    /// <summary>The test file of CIFAR-100's binary version.</summary>
    public const string Cifar100TestFile = "test.bin";

    /// <summary>CIFAR-10's class names, in label order.</summary>
    public static readonly IReadOnlyList<string> Cifar10ClassNames =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>CIFAR-100's 20 coarse class names, in label order.</summary>
    public static readonly IReadOnlyList<string> Cifar100CoarseClassNames =
    [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
        "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
        "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals",
        "trees", "vehicles_1", "vehicles_2",
    ];

    /// <summary>CIFAR-100's 100 fine class names, in label order (alphabetical).</summary>
    public static readonly IReadOnlyList<string> Cifar100FineClassNames =
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];

    /// <summary>
    /// Reads CIFAR-10 from <paramref name="folder"/> (<c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c>,
    /// <c>test_batch.bin</c>): float32 inputs <c>[P, 3, 32, 32]</c> in [0, 1] (x = byte / 255) on the CPU.
    /// </summary>
    /// <exception cref="LossLandscapeException">A file is missing, has a size that is not a whole number of records, or a label is out of range.</exception>
    public static DataSplit ReadCifar10(string folder)
    {
        var train = ReadRecords(Cifar10TrainFiles.Select(f => Path.Combine(folder, f)).ToList(), 1, 0, 10, "cifar10/train", Cifar10ClassNames);
        try
        {
            var test = ReadRecords([Path.Combine(folder, Cifar10TestFile)], 1, 0, 10, "cifar10/test", Cifar10ClassNames);
            return new DataSplit(train, test, folder);
        }
        catch { train.Dispose(); throw; }
    }

    /// <summary>
    /// Reads CIFAR-100 from <paramref name="folder"/> (<c>train.bin</c>, <c>test.bin</c>) with the fine (100) or
    /// coarse (20) labels: float32 inputs <c>[P, 3, 32, 32]</c> in [0, 1] on the CPU. Both label bytes are checked.
    /// </summary>
    /// <exception cref="LossLandscapeException">A file is missing, has a size that is not a whole number of records, or a label is out of range.</exception>
    public static DataSplit ReadCifar100(string folder, Cifar100Labels labels = Cifar100Labels.Fine)
    {
        int which = labels == Cifar100Labels.Coarse ? 0 : 1;
        var names = labels == Cifar100Labels.Coarse ? Cifar100CoarseClassNames : Cifar100FineClassNames;
        string tag = labels == Cifar100Labels.Coarse ? "cifar100-coarse" : "cifar100";
        var train = ReadRecords([Path.Combine(folder, Cifar100TrainFile)], 2, which, names.Count, $"{tag}/train", names);
        try
        {
            var test = ReadRecords([Path.Combine(folder, Cifar100TestFile)], 2, which, names.Count, $"{tag}/test", names);
            return new DataSplit(train, test, folder);
        }
        catch { train.Dispose(); throw; }
    }

    /// <summary>
    /// Reads CIFAR binary files of records of <paramref name="labelBytes"/> label bytes then 3072 pixel bytes, keeping
    /// label byte <paramref name="labelIndex"/>.
    /// </summary>
    internal static Dataset ReadRecords(IReadOnlyList<string> paths, int labelBytes, int labelIndex, int numClasses, string name, IReadOnlyList<string> classNames)
    {
        int record = labelBytes + ImageBytes;
        int[] limits = labelBytes == 2 ? [20, 100] : [numClasses];
        var parts = new List<(byte[] Bytes, int Count)>();
        long total = 0;
        foreach (var path in paths)
        {
            if (!File.Exists(path))
                throw new LossLandscapeException($"CIFAR file '{path}' does not exist.");
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0)
                throw new LossLandscapeException($"CIFAR file '{path}' is empty; expected records of {record} bytes ({labelBytes} label byte{(labelBytes > 1 ? "s" : "")} + {ImageBytes} pixel bytes).");
            if (bytes.Length % record != 0)
            {
                long whole = bytes.Length / record;
                throw new LossLandscapeException($"CIFAR file '{path}' has {bytes.Length} bytes, not a whole number of {record}-byte records: " +
                    $"expected {whole * record} or {(whole + 1) * record}, found {bytes.Length}; record {whole} at offset {whole * record} has only {bytes.Length - whole * record} bytes (the file is truncated or not a CIFAR binary file).");
            }
            int count = bytes.Length / record;
            for (int i = 0; i < count; i++)
                for (int j = 0; j < labelBytes; j++)
                    if (bytes[(long)i * record + j] >= limits[j])
                        throw new LossLandscapeException($"CIFAR file '{path}': record {i} (offset {(long)i * record + j}) has {(labelBytes == 2 ? (j == 0 ? "coarse " : "fine ") : "")}label {bytes[(long)i * record + j]}, outside [0, {limits[j]}).");
            parts.Add((bytes, count));
            total += count;
        }

        var x = empty(new long[] { total, 3, 32, 32 }, dtype: ScalarType.Float32);
        var y = empty(new long[] { total }, dtype: ScalarType.Int64);
        long at = 0;
        foreach (var (bytes, count) in parts)
        {
            using var scope = NewDisposeScope();
            var raw = empty(new long[] { count, record }, dtype: ScalarType.Byte);
            raw.bytes = bytes;
            x.narrow(0, at, count).copy_(raw.narrow(1, labelBytes, ImageBytes).reshape(count, 3, 32, 32).to(ScalarType.Float32).div_(255.0));
            y.narrow(0, at, count).copy_(raw.select(1, labelIndex).to(ScalarType.Int64));
            at += count;
        }
        return new Dataset(name, x, y, classNames);
    }
}
