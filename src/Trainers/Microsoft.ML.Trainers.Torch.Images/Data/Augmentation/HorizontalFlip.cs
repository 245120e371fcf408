using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c> on one channel-first image, in place.</summary>
internal static class HorizontalFlip
{
    public static void Mirror(Span<float> image, int channels, int height, int width)
    {
        for (int row = 0; row < channels * height; row++)
        {
            image.Slice(row * width, width).Reverse();
        }
    }

    /// <summary>Mirrors with probability <paramref name="probability"/>; returns whether it did.</summary>
    public static bool Apply(Span<float> image, int channels, int height, int width, Random random, double probability = 0.5)
    {
        if (random.NextDouble() >= probability)
        {
            return false;
        }
        Mirror(image, channels, height, width);
        return true;
    }
}
