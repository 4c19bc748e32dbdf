using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace LossLandscape.Data;

/// <summary>Progress of one download.</summary>
/// <param name="FileName">The file being downloaded.</param>
/// <param name="BytesReceived">Bytes on disk so far (including a resumed part).</param>
/// <param name="TotalBytes">The file's size when the server says it, else null.</param>
public sealed record DownloadProgress(string FileName, long BytesReceived, long? TotalBytes);
