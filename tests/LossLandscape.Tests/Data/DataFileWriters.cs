using System.Buffers.Binary;
using System.IO.Compression;

namespace LossLandscape.Tests.Data;

/// <summary>Writes data files in the exact published formats, for the readers' tests.</summary>
internal static class DataFileWriters
{
    public static byte[] IdxImages(byte[,,] images)
    {
        int n = images.GetLength(0), h = images.GetLength(1), w = images.GetLength(2);
        var b = new byte[16 + n * h * w];
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(0), 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), h);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), w);
        int k = 16;
        for (int i = 0; i < n; i++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                    b[k++] = images[i, r, c];
        return b;
    }

    public static byte[] IdxLabels(byte[] labels)
    {
        var b = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(0), 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), labels.Length);
        labels.CopyTo(b, 8);
        return b;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Images with a known pattern: pixel (i, r, c) = (7 i + 3 r + 5 c) mod 256.</summary>
    public static byte[,,] PatternImages(int n, int h, int w)
    {
        var a = new byte[n, h, w];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                    a[i, r, c] = (byte)((7 * i + 3 * r + 5 * c) % 256);
        return a;
    }

    /// <summary>Pixel (channel ch, row r, col c) of CIFAR image i in <see cref="CifarRecords"/>.</summary>
    public static byte CifarPixel(int i, int ch, int r, int c) => (byte)((11 * i + 101 * ch + 3 * r + 7 * c) % 256);

    /// <summary>CIFAR records: label bytes then 3072 pixel bytes (R plane, G plane, B plane, each row-major).</summary>
    public static byte[] CifarRecords(int start, params byte[][] labels)
    {
        int lb = labels[0].Length;
        var b = new byte[labels.Length * (lb + 3072)];
        int k = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            foreach (var l in labels[i]) b[k++] = l;
            for (int ch = 0; ch < 3; ch++)
                for (int r = 0; r < 32; r++)
                    for (int c = 0; c < 32; c++)
                        b[k++] = CifarPixel(start + i, ch, r, c);
        }
        return b;
    }

    /// <summary>Writes a small MNIST-format data set (gzipped) into <paramref name="folder"/>: 6 training, 4 test images of 5 x 4.</summary>
    public static void WriteSmallIdxSet(string folder, bool gzip = true)
    {
        Directory.CreateDirectory(folder);
        void Put(string name, byte[] data) => File.WriteAllBytes(Path.Combine(folder, name + (gzip ? ".gz" : "")), gzip ? Gzip(data) : data);
        Put("train-images-idx3-ubyte", IdxImages(PatternImages(6, 5, 4)));
        Put("train-labels-idx1-ubyte", IdxLabels([0, 1, 2, 3, 4, 9]));
        Put("t10k-images-idx3-ubyte", IdxImages(PatternImages(4, 5, 4)));
        Put("t10k-labels-idx1-ubyte", IdxLabels([5, 6, 7, 8]));
    }
}
