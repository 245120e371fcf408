using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Training-only augmentation on one channel-first image: a random crop of the image padded with zeros
/// by <c>padding</c> pixels on each side (torchvision's <c>RandomCrop(size, padding)</c>, fill 0 in pixel
/// space), then a horizontal flip with probability ½ (<c>RandomHorizontalFlip</c>).
/// </summary>
internal static class ImageAugmentation
{
    public static void CropAndFlip(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width,
        int padding, bool flip, Random random)
    {
        int dy = padding > 0 ? random.Next(-padding, padding + 1) : 0;
        int dx = padding > 0 ? random.Next(-padding, padding + 1) : 0;
        bool mirror = flip && random.Next(2) == 1;
        for (int c = 0; c < channels; c++)
        {
            int plane = c * height * width;
            for (int y = 0; y < height; y++)
            {
                int sy = y + dy;
                for (int x = 0; x < width; x++)
                {
                    int sx = (mirror ? width - 1 - x : x) + dx;
                    destination[plane + y * width + x] = sy >= 0 && sy < height && sx >= 0 && sx < width
                        ? source[plane + sy * width + sx]
                        : 0f;
                }
            }
        }
    }
}
