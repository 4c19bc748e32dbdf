using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LossLandscape.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 for download tests: serves byte arrays by path, honours Range requests,
/// and can drop the connection mid-body for the first requests of a path.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<string, (byte[] Body, int DropAfter, int DropTimes)> _routes = new();
    private readonly ConcurrentDictionary<string, int> _served = new();
    private readonly Task _loop;

    public LocalHttpServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Requests received: path and Range header (or null).</summary>
    public ConcurrentQueue<(string Path, string? Range)> Requests { get; } = new();

    /// <summary>Serves <paramref name="body"/> at /<paramref name="name"/>; the first <paramref name="dropTimes"/> responses stop after <paramref name="dropAfter"/> body bytes.</summary>
    public void Serve(string name, byte[] body, int dropAfter = -1, int dropTimes = 0) => _routes["/" + name] = (body, dropAfter, dropTimes);

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_cts.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(client));
        }
    }

    private async Task Handle(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var header = new StringBuilder();
            var one = new byte[1];
            while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await stream.ReadAsync(one);
                if (n == 0) return;
                header.Append((char)one[0]);
            }
            var lines = header.ToString().Split("\r\n");
            var path = lines[0].Split(' ')[1];
            string? range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?[6..].Trim();
            Requests.Enqueue((path, range));
            if (!_routes.TryGetValue(path, out var route))
            {
                await Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }
            int count = _served.AddOrUpdate(path, 1, (_, c) => c + 1);
            long from = 0;
            if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal))
                from = long.Parse(range[6..].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
            var body = route.Body;
            long length = body.Length - from;
            var status = from > 0 ? "206 Partial Content" : "200 OK";
            var extra = from > 0 ? $"Content-Range: bytes {from}-{body.Length - 1}/{body.Length}\r\n" : "";
            await Write(stream, $"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\n{extra}Connection: close\r\n\r\n");
            bool drop = count <= route.DropTimes && route.DropAfter >= 0;
            int send = drop ? (int)Math.Min(route.DropAfter, length) : (int)length;
            await stream.WriteAsync(body.AsMemory((int)from, send));
            await stream.FlushAsync();
            if (drop) client.Client.Close(0);
        }
    }

    private static Task Write(NetworkStream s, string text) => s.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Stop();
        try { _loop.Wait(2000); } catch (AggregateException) { }
        _cts.Dispose();
    }
}
