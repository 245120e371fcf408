using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// torchvision's <c>RandomCrop(size, padding)</c> with zero fill, where the padding is a fraction of the image side
/// (default ⅛: 4 pixels at 32, so the CIFAR recipe is unchanged, and 1 pixel at 8 instead of half the image).
/// </summary>
internal sealed class PaddedRandomCrop
{
    /// <summary>Above this, most crops hold little of the image: refused rather than silently ruining small images.</summary>
    public const double MaxPaddingFraction = 0.25;

    public PaddedRandomCrop(double paddingFraction = 0.125)
    {
        if (!(paddingFraction >= 0 && paddingFraction <= MaxPaddingFraction))
        {
            throw new ArgumentOutOfRangeException("CropPaddingFraction",
                $"CropPaddingFraction must be in [0, {MaxPaddingFraction}] of the image side (was {paddingFraction}).");
        }
        PaddingFraction = paddingFraction;
    }

    public double PaddingFraction { get; }

    /// <summary>The padding in pixels for an image whose shorter side is <paramref name="side"/>.</summary>
    public int PaddingFor(int side) => (int)Math.Round(PaddingFraction * side, MidpointRounding.AwayFromZero);

    /// <summary>Crops (same size as the source) and, if <paramref name="flip"/>, mirrors with probability ½.</summary>
    public void Apply(ReadOnlySpan<float> source, int channels, int height, int width, Span<float> destination, bool flip, Random random)
        => ImageAugmentation.CropAndFlip(source, destination, channels, height, width, PaddingFor(Math.Min(height, width)), flip, random);
}
