namespace LossLandscape.Data;

/// <summary>
/// A data set that can be downloaded: mirrors tried in order, and the files (with checksums) to fetch. When
/// <see cref="ArchiveFolder"/> is set, <see cref="Files"/> holds one <c>.tar.gz</c> archive whose members under that
/// folder are extracted into the cache and the archive is then deleted.
/// </summary>
/// <param name="Mirrors">Base URLs (ending in '/'); a file's URL is the base plus its name.</param>
/// <param name="Files">The files to fetch.</param>
/// <param name="ArchiveFolder">The folder inside the archive that holds the data files, or null for plain files.</param>
public sealed record RemoteDataSource(IReadOnlyList<Uri> Mirrors, IReadOnlyList<RemoteFile> Files, string? ArchiveFolder = null);
