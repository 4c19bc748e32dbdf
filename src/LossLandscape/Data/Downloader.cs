using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace LossLandscape.Data;

/// <summary>
/// Downloads files over HTTP(S) into a folder with checksum verification: the body goes to
/// <c>NAME.partial</c> next to the target; a connection that drops is retried and resumed with an HTTP Range request
/// (or restarted when the server ignores ranges); the finished file is checked against its MD5 or SHA-256 and only
/// then renamed to its final name, so the target folder never holds a partial or unverified file under the real name.
/// A checksum mismatch deletes the partial file.
/// </summary>
public sealed class Downloader : IDisposable
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;

    /// <summary>Creates a downloader; with no <paramref name="client"/> it makes its own (connect timeout 15 s).</summary>
    public Downloader(HttpClient? client = null)
    {
        _ownsClient = client is null;
        _client = client ?? new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15), AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    /// <summary>How many times one file is requested before giving up (at least 1). Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Wait before the first retry; doubled after each failure. Default 1 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for one read of the body before the connection counts as dropped. Default 60 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="destination"/> and verifies <paramref name="checksum"/>
    /// (<c>md5:HEX</c> or <c>sha256:HEX</c>). Returns the destination path.
    /// </summary>
    /// <exception cref="LossLandscapeException">Every attempt failed, or the file's checksum is wrong (nothing is left behind then).</exception>
    public string Download(Uri url, string destination, string checksum, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => DownloadAsync(url, destination, checksum, progress, cancellationToken), cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc cref="Download"/>
    public async Task<string> DownloadAsync(Uri url, string destination, string checksum, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(destination);
        var (algorithm, expected) = ParseChecksum(checksum);
        var full = Path.GetFullPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var partial = full + ".partial";
        var name = Path.GetFileName(full);
        var delay = RetryDelay;
        var errors = new List<string>();
        bool done = false;
        for (int attempt = 1; attempt <= Math.Max(1, MaxAttempts); attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                bool complete = await FetchAsync(url, partial, name, progress, cancellationToken).ConfigureAwait(false);
                if (complete) { done = true; break; }
                errors.Add("the connection closed before the end of the body");
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                errors.Add(ex.Message);
                // A missing resource or an unknown host (no network) will not change on retry.
                if (ex is HttpRequestException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.Gone }
                    or HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError })
                    break;
            }
            if (attempt == Math.Max(1, MaxAttempts))
            {
                TryDelete(partial);
                throw new LossLandscapeException($"Downloading {url} failed after {attempt} attempt(s): {Summarize(errors)}.");
            }
            if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
        if (!done)
        {
            TryDelete(partial);
            throw new LossLandscapeException($"Downloading {url} failed after {errors.Count} attempt(s): {Summarize(errors)}.");
        }
        var actual = await HashAsync(partial, algorithm, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            long size = new FileInfo(partial).Length;
            TryDelete(partial);
            throw new LossLandscapeException($"The file downloaded from {url} ({size} bytes) has {algorithm} {actual}, expected {expected}; it was deleted. The mirror may serve a different or damaged file: try again later or place a good copy in the data folder.");
        }
        File.Move(partial, full, overwrite: true);
        return full;
    }

    /// <summary>One request: appends to <paramref name="partial"/>. Returns whether the body arrived completely.</summary>
    private async Task<bool> FetchAsync(Uri url, string partial, string name, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The partial file is as long as (or longer than) the resource: start over.
            TryDelete(partial);
            return false;
        }
        response.EnsureSuccessStatusCode();
        bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
        if (resumed && response.Content.Headers.ContentRange?.From is long from && from != have)
        {
            TryDelete(partial);
            return false;
        }
        if (!resumed) have = 0;
        long? total = response.Content.Headers.ContentLength is long len ? have + len : null;
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long received = have;
        long lastReport = -1;
        while (true)
        {
            using var readCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            readCts.CancelAfter(ReadTimeout);
            int n;
            try { n = await body.ReadAsync(buffer, readCts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new IOException($"no data for {ReadTimeout.TotalSeconds:0} s after byte {received}");
            }
            if (n == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            received += n;
            if (progress is not null && (received - lastReport >= 1 << 20 || received == total))
            {
                progress.Report(new DownloadProgress(name, received, total));
                lastReport = received;
            }
        }
        await file.FlushAsync(ct).ConfigureAwait(false);
        if (progress is not null && lastReport != received) progress.Report(new DownloadProgress(name, received, total));
        return total is null || received == total;
    }

    /// <summary>Parses <c>md5:HEX</c> or <c>sha256:HEX</c>.</summary>
    /// <exception cref="LossLandscapeException">Unknown algorithm or a hex string of the wrong length.</exception>
    public static (string Algorithm, string Hex) ParseChecksum(string checksum)
    {
        ArgumentNullException.ThrowIfNull(checksum);
        int colon = checksum.IndexOf(':', StringComparison.Ordinal);
        var alg = colon < 0 ? "" : checksum[..colon].Trim().ToLowerInvariant();
        var hex = colon < 0 ? "" : checksum[(colon + 1)..].Trim().ToLowerInvariant();
        int want = alg switch { "md5" => 32, "sha256" => 64, _ => -1 };
        if (want < 0 || hex.Length != want || !hex.All(Uri.IsHexDigit))
            throw new LossLandscapeException($"Checksum '{checksum}' is not valid: give md5:<32 hex digits> or sha256:<64 hex digits>.");
        return (alg, hex);
    }

    /// <summary>The lower-case hex digest of a file under <c>md5</c> or <c>sha256</c>.</summary>
    public static async Task<string> HashAsync(string path, string algorithm, CancellationToken cancellationToken = default)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        byte[] digest = algorithm switch
        {
            "md5" => await MD5.HashDataAsync(fs, cancellationToken).ConfigureAwait(false),
            "sha256" => await SHA256.HashDataAsync(fs, cancellationToken).ConfigureAwait(false),
            _ => throw new LossLandscapeException($"Checksum algorithm '{algorithm}' is not supported: use md5 or sha256."),
        };
        return Convert.ToHexStringLower(digest);
    }

    private static string Summarize(List<string> errors) =>
        string.Join("; ", errors.GroupBy(e => e).Select(g => g.Count() > 1 ? $"{g.Key} (x{g.Count()})" : g.Key));

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Disposes the HTTP client when this downloader made it.</summary>
    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }
}
