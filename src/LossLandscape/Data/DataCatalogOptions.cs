namespace LossLandscape.Data;

/// <summary>
/// Where <see cref="DataCatalog"/> looks for data, in this order: <see cref="DataDir"/>, <see cref="EnvironmentDataDir"/>,
/// <see cref="CacheDir"/>, <see cref="SystemDir"/>, then a download into <see cref="CacheDir"/> when
/// <see cref="AllowDownload"/>. Every location may be null (skipped). <see cref="FromEnvironment"/> gives the usual setup.
/// </summary>
public sealed record DataCatalogOptions
{
    /// <summary>The environment variable that names a data folder.</summary>
    public const string DataEnvironmentVariable = "LOSSLANDSCAPE_DATA";

    /// <summary>The environment variable that, set to 1 or true, forbids downloads.</summary>
    public const string OfflineEnvironmentVariable = "LOSSLANDSCAPE_OFFLINE";

    /// <summary>A folder given explicitly (the command line's <c>--data-dir</c>): searched as DIR/NAME and DIR itself.</summary>
    public string? DataDir { get; init; }

    /// <summary>The folder named by <c>LOSSLANDSCAPE_DATA</c>: searched as DIR/NAME and DIR itself.</summary>
    public string? EnvironmentDataDir { get; init; }

    /// <summary>The user's cache folder (searched as DIR/NAME; downloads go there).</summary>
    public string? CacheDir { get; init; }

    /// <summary>The system data folder (searched as DIR/NAME). Default <c>/usr/share/datasets</c>, where Debian's <c>dataset-fashion-mnist</c> puts its files.</summary>
    public string? SystemDir { get; init; } = "/usr/share/datasets";

    /// <summary>Whether a data set found nowhere may be downloaded into <see cref="CacheDir"/>.</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>
    /// When a named real data set (mnist, fashion-mnist, cifar10, cifar100) is found nowhere and cannot be downloaded,
    /// return the embedded <c>digits</c> instead, with <see cref="DataSplit.Note"/> saying so, rather than fail.
    /// </summary>
    public bool FallbackToDigits { get; init; }

    /// <summary>Download sources by data-set name; default <see cref="DataCatalog.CanonicalSources"/>. Tests point these at a local server.</summary>
    public IReadOnlyDictionary<string, RemoteDataSource> Sources { get; init; } = DataCatalog.CanonicalSources;

    /// <summary>Receives download progress.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }

    /// <summary>The downloader to use (retries, timeouts); null makes a default one per download.</summary>
    public Downloader? Downloader { get; init; }

    /// <summary>
    /// The usual setup: <paramref name="dataDir"/> as given, <c>LOSSLANDSCAPE_DATA</c>, the user cache
    /// (<see cref="DefaultCacheDir"/>), <c>/usr/share/datasets</c>, and downloads unless <c>LOSSLANDSCAPE_OFFLINE</c> is 1 or true.
    /// </summary>
    public static DataCatalogOptions FromEnvironment(string? dataDir = null)
    {
        var env = Environment.GetEnvironmentVariable(DataEnvironmentVariable);
        var offline = Environment.GetEnvironmentVariable(OfflineEnvironmentVariable);
        return new DataCatalogOptions
        {
            DataDir = string.IsNullOrWhiteSpace(dataDir) ? null : dataDir,
            EnvironmentDataDir = string.IsNullOrWhiteSpace(env) ? null : env,
            CacheDir = DefaultCacheDir(),
            AllowDownload = !(offline is not null && (offline.Trim() == "1" || offline.Trim().Equals("true", StringComparison.OrdinalIgnoreCase))),
        };
    }

    /// <summary>
    /// <c>$XDG_CACHE_HOME/losslandscape</c> when that variable is set, else <c>~/.cache/losslandscape</c>
    /// (on Windows <c>%LOCALAPPDATA%\losslandscape</c>); null when no home folder is known.
    /// </summary>
    public static string? DefaultCacheDir()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(xdg, "losslandscape");
        if (OperatingSystem.IsWindows())
        {
            var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            return string.IsNullOrEmpty(local) ? null : Path.Combine(local, "losslandscape");
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "losslandscape");
    }
}
