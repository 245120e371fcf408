using System;
using System.IO;
using System.IO.Compression;

namespace Samples.Support;

/// <summary>
/// Reads the IDX files that MNIST and Fashion-MNIST ship in (optionally gzipped): unsigned-byte images
/// and labels. Hand-written because no available package reads IDX.
/// </summary>
public static class IdxFile
{
    /// <summary>Reads an <c>idx3-ubyte</c> image file: count × rows × columns bytes, row-major.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path, int? limit = null)
    {
        using BinaryReader reader = Open(path, expectedMagic: 0x00000803);
        int count = ReadBigEndian(reader), rows = ReadBigEndian(reader), columns = ReadBigEndian(reader);
        if (limit is int n && n >= 0)
        {
            count = Math.Min(count, n);
        }
        byte[] pixels = ReadExactly(reader, checked(count * rows * columns), path);
        return (pixels, count, rows, columns);
    }

    /// <summary>Reads an <c>idx1-ubyte</c> label file.</summary>
    public static byte[] ReadLabels(string path, int? limit = null)
    {
        using BinaryReader reader = Open(path, expectedMagic: 0x00000801);
        int count = ReadBigEndian(reader);
        if (limit is int n && n >= 0)
        {
            count = Math.Min(count, n);
        }
        return ReadExactly(reader, count, path);
    }

    private static BinaryReader Open(string path, int expectedMagic)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        }
        Stream stream = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }
        var reader = new BinaryReader(new BufferedStream(stream, 1 << 20));
        int magic = ReadBigEndian(reader);
        if (magic != expectedMagic)
        {
            reader.Dispose();
            throw new InvalidDataException($"'{path}' is not an IDX file of the expected kind (magic 0x{magic:X8}, expected 0x{expectedMagic:X8}).");
        }
        return reader;
    }

    private static int ReadBigEndian(BinaryReader reader)
    {
        byte[] b = reader.ReadBytes(4);
        if (b.Length != 4)
        {
            throw new EndOfStreamException("IDX header is truncated.");
        }
        return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    }

    private static byte[] ReadExactly(BinaryReader reader, int count, string path)
    {
        byte[] data = reader.ReadBytes(count);
        if (data.Length != count)
        {
            throw new InvalidDataException($"'{path}' is truncated: {data.Length} of {count} bytes.");
        }
        return data;
    }
}
