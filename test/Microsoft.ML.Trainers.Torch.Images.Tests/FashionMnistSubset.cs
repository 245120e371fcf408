using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Samples.Support;
using SkiaSharp;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The committed Fashion-MNIST subset (test/TestData/fashion-mnist) in the three image column kinds.</summary>
internal static class FashionMnistSubset
{
    public sealed class PixelRow
    {
        public string Label { get; set; } = "";

        [VectorType(28 * 28)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    public sealed class BytesRow
    {
        public string Label { get; set; } = "";

        public byte[] Image { get; set; } = Array.Empty<byte>();
    }

    public static (byte[] Pixels, byte[] Labels, int Count) Read(string split, int? limit = null)
    {
        string dir = Path.Combine(TestData.Root, "fashion-mnist");
        var (pixels, count, _, _) = IdxFile.ReadImages(Path.Combine(dir, $"{split}-images-idx3-ubyte.gz"), limit);
        byte[] labels = IdxFile.ReadLabels(Path.Combine(dir, $"{split}-labels-idx1-ubyte.gz"), limit);
        return (pixels, labels, count);
    }

    public static PixelRow[] PixelRows(string split, int? limit = null)
    {
        var (pixels, labels, count) = Read(split, limit);
        return Enumerable.Range(0, count).Select(i => new PixelRow
        {
            Label = $"class{labels[i]}",
            Pixels = pixels.AsSpan(i * 784, 784).ToArray().Select(b => (float)b).ToArray(),
        }).ToArray();
    }

    /// <summary>Rows holding PNG files encoded with SkiaSharp (optionally upscaled to show resizing).</summary>
    public static BytesRow[] PngRows(string split, int? limit = null, Func<int, int>? sizeOf = null)
    {
        var (pixels, labels, count) = Read(split, limit);
        return Enumerable.Range(0, count).Select(i => new BytesRow
        {
            Label = $"class{labels[i]}",
            Image = EncodePng(pixels.AsSpan(i * 784, 784), sizeOf?.Invoke(i) ?? 28),
        }).ToArray();
    }

    public static byte[] EncodePng(ReadOnlySpan<byte> gray28, int size)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        gray28.CopyTo(bitmap.GetPixelSpan());
        using SKBitmap scaled = size == 28 ? bitmap.Copy() : bitmap.Resize(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear));
        using SKData data = scaled.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
