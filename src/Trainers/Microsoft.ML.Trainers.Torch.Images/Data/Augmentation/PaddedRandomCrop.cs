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

    /// <summary>
    /// The trainer's <c>CropPadding</c> in pixels: null → ⅛ of the shorter side; an explicit value above ¼ of the shorter
    /// side is refused, since most crops would then hold padding rather than the image.
    /// </summary>
    public static int ResolvePadding(int? cropPadding, int height, int width)
    {
        int side = Math.Min(height, width);
        if (cropPadding is not int pixels)
        {
            return new PaddedRandomCrop().PaddingFor(side);
        }
        if (pixels < 0 || pixels > MaxPaddingFraction * side)
        {
            throw new ArgumentOutOfRangeException("CropPadding",
                $"CropPadding {pixels} is more than ¼ of the {height}×{width} image's shorter side ({side}); use at most {(int)(MaxPaddingFraction * side)}, or leave it unset for ⅛ of the side.");
        }
        return pixels;
    }

    /// <summary>Crops (same size as the source) and, if <paramref name="flip"/>, mirrors with probability ½.</summary>
    public void Apply(ReadOnlySpan<float> source, int channels, int height, int width, Span<float> destination, bool flip, Random random)
        => ImageAugmentation.CropAndFlip(source, destination, channels, height, width, PaddingFor(Math.Min(height, width)), flip, random);
}
