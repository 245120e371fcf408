using System;
using System.Buffers;
using System.Numerics;

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
/// interleaved 8-bit image types (and ImageSharp is not to be used here). Separable: one vertical pass over the
/// region's columns into a scratch buffer, then one horizontal pass, so the cost grows with the number of taps, not their square.
/// </remarks>
internal static class BilinearResize
{
    public static void ResizeRegion(ReadOnlySpan<float> source, int channels, int sourceHeight, int sourceWidth,
        int top, int left, int regionHeight, int regionWidth, Span<float> destination, int height, int width)
    {
        Check(source.Length, channels, sourceHeight, sourceWidth, top, left, regionHeight, regionWidth, destination.Length, height, width);
        ResampleWeights xs = ResampleWeights.Compute(regionWidth, width);
        ResampleWeights ys = ResampleWeights.Compute(regionHeight, height);
        float[] scratch = ArrayPool<float>.Shared.Rent(height * regionWidth);
        try
        {
            for (int c = 0; c < channels; c++)
            {
                ResizePlane(source.Slice(c * sourceHeight * sourceWidth, sourceHeight * sourceWidth), sourceWidth, top, left, regionHeight, regionWidth,
                    destination.Slice(c * height * width, height * width), height, width, xs, ys, scratch);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The same resize from bytes, which become [0, 1] through <see cref="ImageEncoder.ScaleBytes"/> region row by region
    /// row: only the region is converted, not the whole (possibly large) photo.
    /// </summary>
    public static void ResizeRegion(ReadOnlySpan<byte> source, int channels, int sourceHeight, int sourceWidth,
        int top, int left, int regionHeight, int regionWidth, Span<float> destination, int height, int width)
    {
        Check(source.Length, channels, sourceHeight, sourceWidth, top, left, regionHeight, regionWidth, destination.Length, height, width);
        ResampleWeights xs = ResampleWeights.Compute(regionWidth, width);
        ResampleWeights ys = ResampleWeights.Compute(regionHeight, height);
        float[] scratch = ArrayPool<float>.Shared.Rent(height * regionWidth);
        float[] region = ArrayPool<float>.Shared.Rent(regionHeight * regionWidth);
        try
        {
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<byte> plane = source.Slice(c * sourceHeight * sourceWidth, sourceHeight * sourceWidth);
                for (int y = 0; y < regionHeight; y++)
                {
                    ImageEncoder.ScaleBytes(plane.Slice((top + y) * sourceWidth + left, regionWidth), region.AsSpan(y * regionWidth, regionWidth));
                }
                ResizePlane(region.AsSpan(0, regionHeight * regionWidth), regionWidth, 0, 0, regionHeight, regionWidth,
                    destination.Slice(c * height * width, height * width), height, width, xs, ys, scratch);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(region);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static void Check(int sourceLength, int channels, int sourceHeight, int sourceWidth,
        int top, int left, int regionHeight, int regionWidth, int destinationLength, int height, int width)
    {
        if (regionHeight <= 0 || regionWidth <= 0 || top < 0 || left < 0
            || top + regionHeight > sourceHeight || left + regionWidth > sourceWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(regionHeight),
                $"Region ({top}, {left}, {regionHeight}×{regionWidth}) is not inside the {sourceHeight}×{sourceWidth} image.");
        }
        if (sourceLength < channels * sourceHeight * sourceWidth || destinationLength < channels * height * width)
        {
            throw new ArgumentException("Source or destination is smaller than channels × height × width.");
        }
    }

    /// <summary>
    /// One plane: the vertical pass first (region rows to the target height, vectorized along the rows), then the
    /// horizontal pass on only the target's rows.
    /// </summary>
    private static void ResizePlane(ReadOnlySpan<float> plane, int stride, int top, int left, int regionHeight, int regionWidth,
        Span<float> output, int height, int width, ResampleWeights xs, ResampleWeights ys, float[] scratch)
    {
        int lanes = Vector<float>.Count;
        for (int y = 0; y < height; y++)
        {
            int start = ys.Start[y], count = ys.Count[y], w0 = y * ys.Taps;
            Span<float> line = scratch.AsSpan(y * regionWidth, regionWidth);
            int x = 0;
            for (; x <= regionWidth - lanes; x += lanes)
            {
                Vector<float> sum = Vector<float>.Zero;
                for (int k = 0; k < count; k++)
                {
                    sum += new Vector<float>(plane.Slice((top + start + k) * stride + left + x, lanes)) * ys.Weights[w0 + k];
                }
                sum.CopyTo(line.Slice(x, lanes));
            }
            for (; x < regionWidth; x++)
            {
                float sum = 0;
                for (int k = 0; k < count; k++)
                {
                    sum += plane[(top + start + k) * stride + left + x] * ys.Weights[w0 + k];
                }
                line[x] = sum;
            }
        }
        float[] weights = xs.Weights;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<float> line = scratch.AsSpan(y * regionWidth, regionWidth);
            Span<float> row = output.Slice(y * width, width);
            for (int x = 0; x < width; x++)
            {
                int start = xs.Start[x], count = xs.Count[x], w0 = x * xs.Taps;
                float sum = 0;
                for (int k = 0; k < count; k++)
                {
                    sum += line[start + k] * weights[w0 + k];
                }
                row[x] = sum;
            }
        }
    }
}
