using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using LossLandscape.IO;

namespace LossLandscape.Data;

/// <summary>
/// Finds a data set by name and loads it as a <see cref="DataSplit"/> (CPU, float32 inputs in [0, 1]).
/// </summary>
/// <remarks>
/// <para>Names: <c>mnist</c>, <c>fashion-mnist</c> (IDX files, gzipped or not), <c>cifar10</c>, <c>cifar100</c>,
/// <c>cifar100-coarse</c> (CIFAR binary files), <c>digits</c> (embedded), <c>auto</c> (the first of mnist,
/// fashion-mnist, cifar10 present on disk, never downloaded, else the embedded digits with a note),
/// <c>synthetic:...</c> (see <see cref="SyntheticData"/>), or the path of a <c>.safetensors</c> file
/// (see <see cref="SafetensorsDataReader"/>).</para>
/// <para>Search order for a real set NAME: the explicit data folder (DIR/NAME, then DIR), <c>LOSSLANDSCAPE_DATA</c>
/// (the same), the cache folder (DIR/NAME), the system folder (<c>/usr/share/datasets/NAME</c>), then a download from
/// the canonical mirrors into the cache with checksum verification. A folder counts when it holds all the set's files;
/// files that are present but corrupt give an error naming the file rather than being skipped.</para>
/// </remarks>
public sealed class DataCatalog
{
    private readonly DataCatalogOptions _options;

    /// <summary>Creates a catalog; without options it uses <see cref="DataCatalogOptions.FromEnvironment"/>.</summary>
    public DataCatalog(DataCatalogOptions? options = null) => _options = options ?? DataCatalogOptions.FromEnvironment();

    /// <summary>The names of the real data sets the catalog knows (besides <c>synthetic:...</c> and file paths).</summary>
    public static IReadOnlyList<string> KnownNames { get; } = ["mnist", "fashion-mnist", "cifar10", "cifar100", "cifar100-coarse", "digits", "auto"];

    /// <summary>Names accepted, for messages and help.</summary>
    public const string Syntax = "mnist, fashion-mnist, cifar10, cifar100, cifar100-coarse, digits, auto, synthetic:KIND[:key=value,...] or the path of a .safetensors file with tensors x and y";

    /// <summary>Fashion-MNIST's class names, in label order.</summary>
    public static readonly IReadOnlyList<string> FashionMnistClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's class names "0".."9".</summary>
    public static readonly IReadOnlyList<string> MnistClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private static readonly string[] IdxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>
    /// The canonical download sources with the checksums their publishers list: MNIST (PyTorch's S3 mirror, then
    /// LeCun's site), Fashion-MNIST (Zalando's S3 bucket, then its GitHub repository), CIFAR-10/100 binary versions
    /// (University of Toronto).
    /// </summary>
    public static IReadOnlyDictionary<string, RemoteDataSource> CanonicalSources { get; } = new Dictionary<string, RemoteDataSource>(StringComparer.Ordinal)
    {
        ["mnist"] = new(
            [new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), new Uri("http://yann.lecun.com/exdb/mnist/")],
            [
                new("train-images-idx3-ubyte.gz", "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                new("train-labels-idx1-ubyte.gz", "md5:d53e105ee54ea40749a09fcbcd1e9432"),
                new("t10k-images-idx3-ubyte.gz", "md5:9fb629c4189551a2d022fa330f9573f3"),
                new("t10k-labels-idx1-ubyte.gz", "md5:ec29112dd5afa0611ce80d1b7f02629c"),
            ]),
        ["fashion-mnist"] = new(
            [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"), new Uri("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")],
            [
                new("train-images-idx3-ubyte.gz", "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                new("train-labels-idx1-ubyte.gz", "md5:25c81989df183df01b3e8a0aad5dffbe"),
                new("t10k-images-idx3-ubyte.gz", "md5:bef4ecab320f06d8554ea6380940ec79"),
                new("t10k-labels-idx1-ubyte.gz", "md5:bb300cfdad3c16e7a12a480ee83cd310"),
            ]),
        ["cifar10"] = new(
            [new Uri("https://www.cs.toronto.edu/~kriz/")],
            [new("cifar-10-binary.tar.gz", "md5:c32a1d4ab5d03f1284b67883e8d87530")],
            "cifar-10-batches-bin"),
        ["cifar100"] = new(
            [new Uri("https://www.cs.toronto.edu/~kriz/")],
            [new("cifar-100-binary.tar.gz", "md5:03b5dce01913d631647c71ecec9e9cb8")],
            "cifar-100-binary"),
    };

    private sealed record Definition(string Name, string[] Folders, string[] Files, bool GzipOptional, Func<string, DataSplit> Read, string HowToGet);

    private static readonly Dictionary<string, Definition> Definitions = BuildDefinitions();

    private static Dictionary<string, Definition> BuildDefinitions()
    {
        DataSplit ReadIdx(string folder, string name, IReadOnlyList<string> classes)
        {
            string F(string stem) => File.Exists(Path.Combine(folder, stem + ".gz")) ? Path.Combine(folder, stem + ".gz") : Path.Combine(folder, stem);
            var train = IdxReader.Read(F(IdxFiles[0]), F(IdxFiles[1]), $"{name}/train", classes);
            try { return new DataSplit(train, IdxReader.Read(F(IdxFiles[2]), F(IdxFiles[3]), $"{name}/test", classes), folder); }
            catch { train.Dispose(); throw; }
        }
        const string idxHow = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not)";
        var defs = new Definition[]
        {
            new("mnist", ["mnist", "MNIST", "mnist/raw", "MNIST/raw"], IdxFiles, true, f => ReadIdx(f, "mnist", MnistClassNames),
                $"put {idxHow} from https://ossci-datasets.s3.amazonaws.com/mnist/ into one of these folders"),
            new("fashion-mnist", ["fashion-mnist", "fashion_mnist", "FashionMNIST", "FashionMNIST/raw"], IdxFiles, true, f => ReadIdx(f, "fashion-mnist", FashionMnistClassNames),
                $"on Debian or Ubuntu run 'sudo apt-get install dataset-fashion-mnist' (installs /usr/share/datasets/fashion-mnist), or put {idxHow} from https://github.com/zalandoresearch/fashion-mnist into one of these folders"),
            new("cifar10", ["cifar10", "cifar-10", "cifar-10-batches-bin", "cifar10/cifar-10-batches-bin"], [.. CifarReader.Cifar10TrainFiles, CifarReader.Cifar10TestFile], false, CifarReader.ReadCifar10,
                "download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and unpack data_batch_1.bin .. data_batch_5.bin and test_batch.bin into one of these folders"),
            new("cifar100", ["cifar100", "cifar-100", "cifar-100-binary", "cifar100/cifar-100-binary"], [CifarReader.Cifar100TrainFile, CifarReader.Cifar100TestFile], false, f => CifarReader.ReadCifar100(f),
                "download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and unpack train.bin and test.bin into one of these folders"),
        };
        var map = defs.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var fine = map["cifar100"];
        map["cifar100-coarse"] = fine with { Read = f => CifarReader.ReadCifar100(f, Cifar100Labels.Coarse) };
        return map;
    }

    /// <summary>
    /// Loads the data set <paramref name="name"/> (see the remarks for names and search order). The result's
    /// <see cref="DataSplit.Source"/> says where the files were found.
    /// </summary>
    /// <exception cref="LossLandscapeException">Unknown name, a bad file, or a set found nowhere and not downloadable (the message lists every place looked and how to get the data).</exception>
    public DataSplit Load(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var spec = name.Trim();
        if (spec.Length == 0)
            throw new LossLandscapeException($"No data set named: give one of {Syntax}.");
        if (SyntheticData.IsSynthetic(spec)) return SyntheticData.Create(spec);
        if (spec.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || (spec.Contains(Path.DirectorySeparatorChar) && File.Exists(spec)))
        {
            if (!File.Exists(spec))
                throw new LossLandscapeException($"Data file '{spec}' does not exist.");
            return SafetensorsDataReader.Read(spec);
        }
        var key = spec.ToLowerInvariant() switch
        {
            "fashionmnist" or "fashion_mnist" => "fashion-mnist",
            "cifar-10" => "cifar10",
            "cifar-100" => "cifar100",
            var k => k,
        };
        if (key == "digits") return DigitsData.Load();
        if (key == "auto") return LoadAuto();
        if (!Definitions.TryGetValue(key, out var def))
            throw new LossLandscapeException($"Data set '{name}' is not known: give one of {Syntax}.");

        var looked = new List<string>();
        var found = Locate(def, looked);
        if (found is { } hit)
        {
            var split = def.Read(hit.Folder);
            return split with { Source = $"{hit.Folder} ({hit.Where})" };
        }
        string? downloadError = null;
        if (_options.AllowDownload && _options.CacheDir is not null && _options.Sources.TryGetValue(def.Name == "cifar100-coarse" ? "cifar100" : def.Name, out var source))
        {
            try
            {
                var folder = Path.Combine(_options.CacheDir, def.Name == "cifar100-coarse" ? "cifar100" : def.Name);
                var from = DownloadInto(def, source, folder, cancellationToken);
                var split = def.Read(folder);
                return split with { Source = $"{folder} (downloaded from {from} into the cache)" };
            }
            catch (LossLandscapeException ex)
            {
                downloadError = ex.Message;
                var folder = Path.Combine(_options.CacheDir, def.Name == "cifar100-coarse" ? "cifar100" : def.Name);
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
                    Directory.Delete(folder);
            }
        }
        if (_options.FallbackToDigits)
        {
            return DigitsData.Load() with
            {
                Note = $"'{def.Name}' was not found ({string.Join("; ", looked)}{(downloadError is null ? "" : "; download failed: " + downloadError)}), so the embedded UCI digits (1797 images of 8 x 8) are used instead.",
            };
        }
        var msg = new StringBuilder();
        msg.Append("Data set '").Append(def.Name).Append("' was not found. Looked in:");
        foreach (var l in looked) msg.Append("\n  - ").Append(l);
        if (!_options.AllowDownload) msg.Append("\n  - download: switched off (DataCatalogOptions.AllowDownload off, or ").Append(DataCatalogOptions.OfflineEnvironmentVariable).Append("=1)");
        else if (_options.CacheDir is null) msg.Append("\n  - download: no cache folder to download into");
        else if (downloadError is not null) msg.Append("\n  - download: ").Append(downloadError);
        msg.Append("\nTo get it: ").Append(def.HowToGet).Append(", or give its folder as DataCatalogOptions.DataDir, or set ").Append(DataCatalogOptions.DataEnvironmentVariable)
           .Append(", or run once with network access (the files are downloaded into ").Append(_options.CacheDir ?? "the cache").Append(").");
        throw new LossLandscapeException(msg.ToString());
    }

    /// <summary>
    /// The folder that holds <paramref name="name"/>'s files and which location it is (for example "system data
    /// folder"), or null when no location on disk has it. Never downloads.
    /// </summary>
    public (string Folder, string Where)? Locate(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        return Definitions.TryGetValue(key, out var def) ? Locate(def, []) : null;
    }

    private DataSplit LoadAuto()
    {
        var looked = new List<string>();
        foreach (var candidate in new[] { "mnist", "fashion-mnist", "cifar10" })
        {
            var def = Definitions[candidate];
            if (Locate(def, looked) is { } hit)
                return def.Read(hit.Folder) with { Source = $"{hit.Folder} ({hit.Where})", Note = $"auto: using {candidate}." };
        }
        return DigitsData.Load() with
        {
            Note = "auto: no larger real data set (mnist, fashion-mnist, cifar10) is present on disk, so the embedded UCI digits (1797 images of 8 x 8) are used. Looked in: " + string.Join("; ", looked) + ".",
        };
    }

    private (string Folder, string Where)? Locate(Definition def, List<string> looked)
    {
        var roots = new List<(string? Dir, string Where, bool Self)>
        {
            (_options.DataDir, "DataCatalogOptions.DataDir", true),
            (_options.EnvironmentDataDir, DataCatalogOptions.DataEnvironmentVariable, true),
            (_options.CacheDir, "user cache folder", false),
            (_options.SystemDir, "system data folder", false),
        };
        foreach (var (dir, where, self) in roots)
        {
            if (dir is null)
            {
                looked.Add(where switch
                {
                    "DataCatalogOptions.DataDir" => "DataCatalogOptions.DataDir: not given",
                    DataCatalogOptions.DataEnvironmentVariable => $"{where}: not set",
                    _ => $"{where}: none",
                });
                continue;
            }
            var folders = def.Folders.Select(f => Path.Combine(dir, f)).ToList();
            if (self) folders.Add(dir);
            var existing = folders.Where(Directory.Exists).ToList();
            var complete = existing.FirstOrDefault(f => Missing(def, f).Count == 0);
            if (complete is not null) return (complete, where);
            looked.Add(existing.Count == 0
                ? $"{Path.Combine(dir, def.Name)} ({where}): no such folder"
                : $"{existing[0]} ({where}): lacks {string.Join(", ", Missing(def, existing[0]).Select(m => def.GzipOptional ? m + "[.gz]" : m))}");
        }
        return null;
    }

    private static List<string> Missing(Definition def, string folder) =>
        def.Files.Where(f => !File.Exists(Path.Combine(folder, f)) && !(def.GzipOptional && File.Exists(Path.Combine(folder, f + ".gz")))).ToList();

    private string DownloadInto(Definition def, RemoteDataSource source, string folder, CancellationToken ct)
    {
        var downloader = _options.Downloader ?? new Downloader();
        try
        {
            Directory.CreateDirectory(folder);
            string? usedMirror = null;
            foreach (var file in source.Files)
            {
                var target = Path.Combine(folder, file.FileName);
                if (File.Exists(target)) continue;
                var errors = new List<string>();
                bool ok = false;
                foreach (var mirror in source.Mirrors)
                {
                    try
                    {
                        downloader.Download(new Uri(mirror, file.FileName), target, file.Checksum, _options.Progress, ct);
                        usedMirror ??= mirror.ToString();
                        ok = true;
                        break;
                    }
                    catch (LossLandscapeException ex)
                    {
                        errors.Add(ex.Message);
                    }
                }
                if (!ok) throw new LossLandscapeException(string.Join(" ", errors));
            }
            if (source.ArchiveFolder is not null)
            {
                foreach (var archive in source.Files)
                {
                    var path = Path.Combine(folder, archive.FileName);
                    Extract(path, source.ArchiveFolder, folder, def.Files);
                    File.Delete(path);
                }
            }
            var missing = Missing(def, folder);
            if (missing.Count > 0)
                throw new LossLandscapeException($"The download from {usedMirror ?? source.Mirrors[0].ToString()} did not provide {string.Join(", ", missing)}.");
            return usedMirror ?? source.Mirrors[0].ToString();
        }
        finally
        {
            if (_options.Downloader is null) downloader.Dispose();
        }
    }

    /// <summary>Extracts the regular-file members under <paramref name="archiveFolder"/> that are in <paramref name="wanted"/> (or are .txt metadata), each atomically.</summary>
    private static void Extract(string archivePath, string archiveFolder, string targetFolder, IReadOnlyList<string> wanted)
    {
        try
        {
            using var fs = File.OpenRead(archivePath);
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var entryName = entry.Name.Replace('\\', '/').TrimStart('.', '/');
                var prefix = archiveFolder.TrimEnd('/') + "/";
                if (!entryName.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var member = entryName[prefix.Length..];
                if (member.Contains('/') || member.Length == 0) continue;
                if (!wanted.Contains(member) && !member.EndsWith(".txt", StringComparison.Ordinal)) continue;
                var data = entry.DataStream;
                AtomicFile.Write(Path.Combine(targetFolder, member), s => data.CopyTo(s));
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new LossLandscapeException($"Archive '{archivePath}' could not be unpacked: {ex.Message}", ex);
        }
    }
}
