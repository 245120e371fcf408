using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.PackageConsumer;

/// <summary>One 28x28 gray image as 784 floats and its class name.</summary>
internal sealed class PixelRow
{
    public string Label { get; set; } = "";

    [VectorType(28 * 28)]
    public float[] Pixels { get; set; } = Array.Empty<float>();
}

/// <summary>
/// Reads the committed Fashion-MNIST subset (gzip'd IDX files). Hand-written: the format is two big-endian
/// headers and raw bytes, and the packages deliberately do not ship a data reader.
/// </summary>
internal static class FashionMnistIdx
{
    public static PixelRow[] Read(string testData, string split, int count)
    {
        byte[] images = Payload(Path.Combine(testData, "fashion-mnist", $"{split}-images-idx3-ubyte.gz"), magic: 2051, headerInts: 4, count, itemBytes: 784);
        byte[] labels = Payload(Path.Combine(testData, "fashion-mnist", $"{split}-labels-idx1-ubyte.gz"), magic: 2049, headerInts: 2, count, itemBytes: 1);
        return Enumerable.Range(0, count).Select(i => new PixelRow
        {
            Label = $"class{labels[i]}",
            Pixels = images.AsSpan(i * 784, 784).ToArray().Select(b => (float)b).ToArray(),
        }).ToArray();
    }

    private static byte[] Payload(string path, int magic, int headerInts, int count, int itemBytes)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var header = new byte[headerInts * 4];
        gzip.ReadExactly(header);
        int actualMagic = BinaryPrimitives.ReadInt32BigEndian(header);
        int available = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        if (actualMagic != magic || available < count)
        {
            throw new InvalidDataException($"{path}: magic {actualMagic} (expected {magic}), {available} items (need {count}).");
        }
        var payload = new byte[count * itemBytes];
        gzip.ReadExactly(payload);
        return payload;
    }
}
