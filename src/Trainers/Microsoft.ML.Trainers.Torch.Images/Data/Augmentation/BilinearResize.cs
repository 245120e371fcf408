using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Bilinear resize of a rectangular region of one channel-first float image, with PyTorch's
/// <c>align_corners=False</c> sampling (source index = (dst + ½)·scale − ½, clamped at 0). No antialiasing:
/// downscaling by more than 2× aliases, unlike torchvision's PIL path or <c>antialias=True</c>.
/// </summary>
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
        double scaleY = (double)regionHeight / height;
        double scaleX = (double)regionWidth / width;
        Span<int> x0 = width <= 512 ? stackalloc int[width] : new int[width];
        Span<int> x1 = width <= 512 ? stackalloc int[width] : new int[width];
        Span<float> wx = width <= 512 ? stackalloc float[width] : new float[width];
        for (int x = 0; x < width; x++)
        {
            double sx = Math.Max((x + 0.5) * scaleX - 0.5, 0.0);
            int i0 = Math.Min((int)sx, regionWidth - 1);
            x0[x] = left + i0;
            x1[x] = left + Math.Min(i0 + 1, regionWidth - 1);
            wx[x] = (float)(sx - i0);
        }
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = source.Slice(c * sourceHeight * sourceWidth, sourceHeight * sourceWidth);
            Span<float> output = destination.Slice(c * height * width, height * width);
            for (int y = 0; y < height; y++)
            {
                double sy = Math.Max((y + 0.5) * scaleY - 0.5, 0.0);
                int j0 = Math.Min((int)sy, regionHeight - 1);
                int row0 = (top + j0) * sourceWidth;
                int row1 = (top + Math.Min(j0 + 1, regionHeight - 1)) * sourceWidth;
                float wy = (float)(sy - j0);
                for (int x = 0; x < width; x++)
                {
                    float upper = plane[row0 + x0[x]] + (plane[row0 + x1[x]] - plane[row0 + x0[x]]) * wx[x];
                    float lower = plane[row1 + x0[x]] + (plane[row1 + x1[x]] - plane[row1 + x0[x]]) * wx[x];
                    output[y * width + x] = upper + (lower - upper) * wy;
                }
            }
        }
    }
}
