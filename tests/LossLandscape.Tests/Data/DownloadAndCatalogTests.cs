using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using LossLandscape.Data;

namespace LossLandscape.Tests.Data;

public class DownloaderTests
{
    private static Downloader Fast() => new() { RetryDelay = TimeSpan.Zero, MaxAttempts = 3, ReadTimeout = TimeSpan.FromSeconds(10) };

    private static byte[] Payload(int n)
    {
        var b = new byte[n];
        new Random(1).NextBytes(b);
        return b;
    }

    [Fact]
    public void GoodFile_IsDownloadedVerifiedAndReported()
    {
        using var server = new LocalHttpServer();
        var body = Payload(300_000);
        server.Serve("good.bin", body);
        var dir = TestUtil.TempDir();
        var reports = new List<DownloadProgress>();
        using var d = Fast();
        var path = d.Download(new Uri(server.BaseUrl, "good.bin"), Path.Combine(dir, "good.bin"), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)), new SyncProgress(reports));
        File.ReadAllBytes(path).Should().Equal(body);
        Directory.GetFiles(dir).Should().ContainSingle();
        reports.Should().NotBeEmpty();
        reports[^1].Should().Be(new DownloadProgress("good.bin", 300_000, 300_000));
    }

    [Fact]
    public void BadChecksum_IsRejectedAndNothingIsLeft()
    {
        using var server = new LocalHttpServer();
        var body = Payload(5000);
        var corrupted = (byte[])body.Clone();
        corrupted[1234] ^= 0xff;
        server.Serve("f.bin", corrupted);
        var dir = TestUtil.TempDir();
        using var d = Fast();
        var md5 = Convert.ToHexStringLower(MD5.HashData(body));
        var act = () => d.Download(new Uri(server.BaseUrl, "f.bin"), Path.Combine(dir, "f.bin"), "md5:" + md5);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*has md5 {Convert.ToHexStringLower(MD5.HashData(corrupted))}, expected {md5}; it was deleted*");
        Directory.GetFiles(dir).Should().BeEmpty();
    }

    [Fact]
    public void DroppedConnection_IsResumedWithARangeRequest()
    {
        using var server = new LocalHttpServer();
        var body = Payload(200_000);
        server.Serve("big.bin", body, dropAfter: 70_000, dropTimes: 1);
        var dir = TestUtil.TempDir();
        using var d = Fast();
        var path = d.Download(new Uri(server.BaseUrl, "big.bin"), Path.Combine(dir, "big.bin"), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)));
        File.ReadAllBytes(path).Should().Equal(body);
        var requests = server.Requests.Where(r => r.Path == "/big.bin").ToList();
        requests.Should().HaveCount(2);
        requests[0].Range.Should().BeNull();
        requests[1].Range.Should().Be("bytes=70000-");
        Directory.GetFiles(dir).Should().ContainSingle();
    }

    [Fact]
    public void MissingFileOrNoServer_FailsWithTheUrl()
    {
        using var server = new LocalHttpServer();
        var dir = TestUtil.TempDir();
        using var d = Fast();
        var url = new Uri(server.BaseUrl, "nothing.bin");
        FluentActions.Invoking(() => d.Download(url, Path.Combine(dir, "x"), "md5:" + new string('0', 32)))
            .Should().Throw<LossLandscapeException>().WithMessage($"*{url}*404*");
        Directory.GetFiles(dir).Should().BeEmpty();
        FluentActions.Invoking(() => Downloader.ParseChecksum("crc:1")).Should().Throw<LossLandscapeException>().WithMessage("*md5:<32 hex digits> or sha256:<64 hex digits>*");
    }

    private sealed class SyncProgress(List<DownloadProgress> sink) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) { lock (sink) sink.Add(value); }
    }
}

public class DataCatalogTests
{
    private static DataCatalogOptions Isolated(string? dataDir = null, string? envDir = null, string? cache = null, string? system = null) => new()
    {
        DataDir = dataDir,
        EnvironmentDataDir = envDir,
        CacheDir = cache ?? TestUtil.TempDir(),
        SystemDir = system ?? TestUtil.TempDir(),
        AllowDownload = false,
    };

    [Fact]
    public void FindsIdxFilesInTheDataDir_NamedSubfolderOrItself()
    {
        var dir = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(Path.Combine(dir, "mnist"));
        using var split = new DataCatalog(Isolated(dataDir: dir)).Load("mnist");
        split.Train.Count.Should().Be(6);
        split.Test.Count.Should().Be(4);
        split.Test.Labels.data<long>().ToArray().Should().Equal(5, 6, 7, 8);
        split.Source.Should().Be($"{Path.Combine(dir, "mnist")} (DataCatalogOptions.DataDir)");
        var flat = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(flat, gzip: false);
        using var s2 = new DataCatalog(Isolated(dataDir: flat)).Load("fashion-mnist");
        s2.ClassNames[9].Should().Be("Ankle boot");
        s2.Source.Should().Contain("(DataCatalogOptions.DataDir)");
    }

    [Fact]
    public void SearchOrder_DataDirThenEnvThenCacheThenSystem()
    {
        string Fresh() { var d = TestUtil.TempDir(); DataFileWriters.WriteSmallIdxSet(Path.Combine(d, "mnist")); return d; }
        string env = Fresh(), cache = Fresh(), system = Fresh();
        using (var s = new DataCatalog(Isolated(envDir: env, cache: cache, system: system)).Load("mnist"))
            s.Source.Should().Contain("(LOSSLANDSCAPE_DATA)");
        using (var s = new DataCatalog(Isolated(cache: cache, system: system)).Load("mnist"))
            s.Source.Should().Be($"{Path.Combine(cache, "mnist")} (user cache folder)");
        using (var s = new DataCatalog(Isolated(system: system)).Load("mnist"))
            s.Source.Should().Be($"{Path.Combine(system, "mnist")} (system data folder)");
    }

    [Fact]
    public void Missing_OfflineErrorListsEveryPlaceAndHowToGetIt()
    {
        var cache = TestUtil.TempDir();
        var system = TestUtil.TempDir();
        var partial = TestUtil.TempDir();
        File.WriteAllBytes(Path.Combine(partial, "data_batch_1.bin"), []);
        var act = () => new DataCatalog(Isolated(dataDir: partial, cache: cache, system: system)).Load("cifar10");
        act.Should().Throw<LossLandscapeException>().WithMessage(
            $"Data set 'cifar10' was not found. Looked in:*{partial} (DataCatalogOptions.DataDir): lacks data_batch_2.bin*LOSSLANDSCAPE_DATA: not set*{Path.Combine(cache, "cifar10")} (user cache folder): no such folder*{Path.Combine(system, "cifar10")} (system data folder): no such folder*download: switched off*To get it:*cifar-10-binary.tar.gz*DataCatalogOptions.DataDir*");
    }

    [Fact]
    public void CorruptFileInAFoundFolder_IsAnErrorNotSkipped()
    {
        var dir = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(Path.Combine(dir, "mnist"), gzip: false);
        File.WriteAllBytes(Path.Combine(dir, "mnist", "t10k-labels-idx1-ubyte"), DataFileWriters.IdxLabels([1, 2, 3, 11]));
        FluentActions.Invoking(() => new DataCatalog(Isolated(dataDir: dir)).Load("mnist"))
            .Should().Throw<LossLandscapeException>().WithMessage("*t10k-labels-idx1-ubyte': label 3 (offset 11) is 11*");
    }

    [Fact]
    public void DownloadsIdxSetIntoTheCache_FromALocalServer()
    {
        using var server = new LocalHttpServer();
        var src = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(src);
        var files = Directory.GetFiles(src).Select(p => new RemoteFile(Path.GetFileName(p), "md5:" + Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(p))))).ToList();
        foreach (var p in Directory.GetFiles(src)) server.Serve(Path.GetFileName(p), File.ReadAllBytes(p), dropAfter: 10, dropTimes: 1);
        var cache = TestUtil.TempDir();
        var progress = new List<DownloadProgress>();
        var options = Isolated(cache: cache) with
        {
            AllowDownload = true,
            Sources = new Dictionary<string, RemoteDataSource> { ["fashion-mnist"] = new([new Uri(server.BaseUrl, "missing/"), server.BaseUrl], files) },
            Downloader = new Downloader { RetryDelay = TimeSpan.Zero },
            Progress = new Collect(progress),
        };
        using var split = new DataCatalog(options).Load("fashion-mnist");
        split.Train.Count.Should().Be(6);
        split.Source.Should().Contain("downloaded from " + server.BaseUrl);
        Directory.GetFiles(Path.Combine(cache, "fashion-mnist")).Select(Path.GetFileName).Should().BeEquivalentTo(files.Select(f => f.FileName));
        progress.Should().NotBeEmpty();
        // Found in the cache the next time, with no download.
        using var again = new DataCatalog(Isolated(cache: cache)).Load("fashion-mnist");
        again.Source.Should().Contain("(user cache folder)");
    }

    [Fact]
    public void DownloadWithBadChecksum_LeavesNothingInTheCache_AndErrorSaysWhy()
    {
        using var server = new LocalHttpServer();
        var src = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(src);
        foreach (var p in Directory.GetFiles(src)) server.Serve(Path.GetFileName(p), File.ReadAllBytes(p));
        var files = Directory.GetFiles(src).Select(p => new RemoteFile(Path.GetFileName(p), "sha256:" + new string('a', 64))).ToList();
        var cache = TestUtil.TempDir();
        var options = Isolated(cache: cache) with
        {
            AllowDownload = true,
            Sources = new Dictionary<string, RemoteDataSource> { ["mnist"] = new([server.BaseUrl], files) },
            Downloader = new Downloader { RetryDelay = TimeSpan.Zero },
        };
        FluentActions.Invoking(() => new DataCatalog(options).Load("mnist")).Should().Throw<LossLandscapeException>()
            .WithMessage("*was not found*download: *expected aaaa*To get it*");
        Directory.GetFiles(cache, "*", SearchOption.AllDirectories).Should().BeEmpty();
    }

    [Fact]
    public void DownloadsAndUnpacksACifarArchive()
    {
        using var server = new LocalHttpServer();
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            void Add(string name, byte[] data) => tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            Add("cifar-100-binary/train.bin", DataFileWriters.CifarRecords(0, [1, 2], [3, 4]));
            Add("cifar-100-binary/test.bin", DataFileWriters.CifarRecords(5, [5, 6]));
            Add("cifar-100-binary/coarse_label_names.txt", "a\n"u8.ToArray());
        }
        var archive = ms.ToArray();
        server.Serve("c100.tar.gz", archive);
        var cache = TestUtil.TempDir();
        var options = Isolated(cache: cache) with
        {
            AllowDownload = true,
            Sources = new Dictionary<string, RemoteDataSource> { ["cifar100"] = new([server.BaseUrl], [new("c100.tar.gz", "md5:" + Convert.ToHexStringLower(MD5.HashData(archive)))], "cifar-100-binary") },
            Downloader = new Downloader { RetryDelay = TimeSpan.Zero },
        };
        using var split = new DataCatalog(options).Load("cifar100-coarse");
        split.Train.Labels.data<long>().ToArray().Should().Equal(1, 3);
        split.Test.Labels.data<long>().ToArray().Should().Equal(5);
        Directory.GetFiles(Path.Combine(cache, "cifar100")).Select(Path.GetFileName).Should().BeEquivalentTo("train.bin", "test.bin", "coarse_label_names.txt");
    }

    [Fact]
    public void Auto_FallsBackToDigitsWithANote_OrPicksARealSet()
    {
        using (var s = new DataCatalog(Isolated()).Load("auto"))
        {
            s.Train.Count.Should().Be(1500);
            s.Source.Should().Contain("embedded UCI optical digits");
            s.Note.Should().Contain("no larger real data set");
        }
        var dir = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(Path.Combine(dir, "fashion-mnist"));
        using (var s = new DataCatalog(Isolated(dataDir: dir)).Load("auto"))
        {
            s.Train.Count.Should().Be(6);
            s.Note.Should().Contain("fashion-mnist");
        }
        using (var s = new DataCatalog(Isolated() with { FallbackToDigits = true }).Load("mnist"))
            s.Note.Should().Contain("'mnist' was not found").And.Contain("embedded UCI digits");
    }

    [Fact]
    public void OtherNames_DigitsSyntheticSafetensorsUnknown()
    {
        var catalog = new DataCatalog(Isolated());
        using (var d = catalog.Load("digits")) d.Test.Count.Should().Be(297);
        using (var s = catalog.Load("synthetic:meanfield:d=4,n=10,ntest=5")) s.Train.Inputs.shape.Should().Equal(10, 4);
        FluentActions.Invoking(() => catalog.Load("imagenet")).Should().Throw<LossLandscapeException>().WithMessage("Data set 'imagenet' is not known: give one of mnist, fashion-mnist*synthetic:*.safetensors*");
        FluentActions.Invoking(() => catalog.Load("/nope/x.safetensors")).Should().Throw<LossLandscapeException>().WithMessage("*'/nope/x.safetensors' does not exist*");
    }

    private sealed class Collect(List<DownloadProgress> sink) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) { lock (sink) sink.Add(value); }
    }
}

public class RealFashionMnistTests
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void SystemFolder_HoldsTheRealFashionMnist()
    {
        Directory.Exists(Folder).Should().BeTrue($"the real Fashion-MNIST must be at {Folder}: install it with 'sudo apt-get install dataset-fashion-mnist' (.ci/setup does)");
        using var split = new DataCatalog(new DataCatalogOptions { CacheDir = null, AllowDownload = false }).Load("fashion-mnist");
        split.Source.Should().Be($"{Folder} (system data folder)");
        split.Train.Inputs.shape.Should().Equal(60000, 1, 28, 28);
        split.Test.Inputs.shape.Should().Equal(10000, 1, 28, 28);
        split.Train.ClassHistogram().Should().OnlyContain(c => c == 6000);
        split.Test.ClassHistogram().Should().OnlyContain(c => c == 1000);
        split.Train.Inputs.max().item<float>().Should().Be(1f);
        split.Train.Inputs.min().item<float>().Should().Be(0f);
    }
}
