using System;
using System.Buffers;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Bilinear resize of a rectangular region of one channel-first float image, antialiased when shrinking: the triangle
/// filter's support widens by the scale factor, exactly as PIL's <c>BILINEAR</c> and torchvision's
/// <c>resize(antialias=True)</c> (aten's <c>_upsample_bilinear2d_aa</c>, <c>align_corners=False</c>). When enlarging
/// it is plain bilinear (source index = (dst + ½)·scale − ½, clamped at the edges). The region is cropped first, so
/// no pixel outside it contributes (torchvision's crop-then-resize, not PIL's <c>box</c>).
/// </summary>
/// <remarks>
/// Hand-written because no served package resizes float channel-first planes with these weights: SkiaSharp's linear
/// filter (with or without mipmaps) is not the widened triangle filter, and ImageSharp / Magick.NET work on their own
/// interleaved 8-bit image types (and ImageSharp is not to be used here). Separable: one horizontal pass over the
/// region's rows into a scratch buffer, then one vertical pass, so the cost grows with the number of taps, not their square.
/// </remarks>
internal static class BilinearResize
{
    public static void ResizeRegion(ReadOnlySpan<float> source, int channels, int sourceHeight, int sourceWidth,
        int top, int left, int regionHeight, int regionWidth, Span<float> destination, int height, int width)
    {
        if (regionHeight <= 0 || regionWidth <= 0 || top < 0 || left < 0
            || top + regionHeight > sourceHeight || left + regionWidth > sourceWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(regionHeight),
                $"Region ({top}, {left}, {regionHeight}×{regionWidth}) is not inside the {sourceHeight}×{sourceWidth} image.");
        }
        if (source.Length < channels * sourceHeight * sourceWidth || destination.Length < channels * height * width)
        {
            throw new ArgumentException("Source or destination is smaller than channels × height × width.");
        }
        ResampleWeights xs = ResampleWeights.Compute(regionWidth, width);
        ResampleWeights ys = ResampleWeights.Compute(regionHeight, height);
        float[] scratch = ArrayPool<float>.Shared.Rent(regionHeight * width);
        try
        {
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> plane = source.Slice(c * sourceHeight * sourceWidth, sourceHeight * sourceWidth);
                Span<float> output = destination.Slice(c * height * width, height * width);
                // Horizontal pass: every region row to the target width.
                for (int y = 0; y < regionHeight; y++)
                {
                    ReadOnlySpan<float> row = plane.Slice((top + y) * sourceWidth + left, regionWidth);
                    Span<float> line = scratch.AsSpan(y * width, width);
                    for (int x = 0; x < width; x++)
                    {
                        int start = xs.Start[x], count = xs.Count[x], w0 = x * xs.Taps;
                        float sum = 0;
                        for (int k = 0; k < count; k++)
                        {
                            sum += row[start + k] * xs.Weights[w0 + k];
                        }
                        line[x] = sum;
                    }
                }
                // Vertical pass: rows of the scratch to the target height.
                for (int y = 0; y < height; y++)
                {
                    int start = ys.Start[y], count = ys.Count[y], w0 = y * ys.Taps;
                    Span<float> line = output.Slice(y * width, width);
                    line.Clear();
                    for (int k = 0; k < count; k++)
                    {
                        float weight = ys.Weights[w0 + k];
                        ReadOnlySpan<float> from = scratch.AsSpan((start + k) * width, width);
                        for (int x = 0; x < width; x++)
                        {
                            line[x] += from[x] * weight;
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
