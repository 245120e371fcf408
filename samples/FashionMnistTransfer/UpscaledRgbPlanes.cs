using System;
using Microsoft.ML.Data;
using SkiaSharp;

/// <summary>
/// The input ML.NET's ResNet18 featurizer takes, made from a 28x28 grey image as <c>ResizeImages(224, 224)</c> followed by
/// <c>ExtractPixels</c> with its defaults would make it: bilinear upscaling, then planes R, G, B of byte values as floats.
/// Those two transforms cannot run here: ML.NET 5.0.1's <c>ExtractPixels</c> reads <c>MLImage.Pixels</c>, which calls an
/// SkiaSharp method whose signature changed in SkiaSharp 3.119 (the version served with it) and throws
/// <c>MissingMethodException</c>, and a custom mapping cannot take their image column (its schema check refuses
/// <c>Image&lt;224, 224&gt;</c> against itself). So this mapping upscales with SkiaSharp, as <c>ResizeImages</c> does.
/// </summary>
internal static class UpscaledRgbPlanes
{
    public const int Side = 224;

    public sealed class Input
    {
        [VectorType(28 * 28)]
        public float[] Grey { get; set; } = Array.Empty<float>();
    }

    public sealed class Output
    {
        [VectorType(3 * Side * Side)]
        public float[] Pixels224 { get; set; } = Array.Empty<float>();
    }

    public static void Map(Input input, Output output)
    {
        using var source = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        Span<byte> grey = source.GetPixelSpan();
        for (int i = 0; i < grey.Length; i++)
        {
            grey[i] = (byte)input.Grey[i];
        }
        using SKBitmap upscaled = source.Resize(new SKImageInfo(Side, Side, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear));
        ReadOnlySpan<byte> pixels = upscaled.GetPixelSpan();
        int plane = Side * Side;
        var planes = new float[3 * plane];
        for (int p = 0; p < plane; p++)
        {
            planes[p] = planes[plane + p] = planes[2 * plane + p] = pixels[p];
        }
        output.Pixels224 = planes;
    }
}
