using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace LossLandscape.Data;

/// <summary>
/// A file to fetch and the checksum it must have: <c>md5:HEX</c> or <c>sha256:HEX</c> (hex case-insensitive).
/// </summary>
/// <param name="FileName">Name of the file at the mirror and on disk.</param>
/// <param name="Checksum">Expected checksum as <c>md5:HEX</c> or <c>sha256:HEX</c>.</param>
public sealed record RemoteFile(string FileName, string Checksum);
