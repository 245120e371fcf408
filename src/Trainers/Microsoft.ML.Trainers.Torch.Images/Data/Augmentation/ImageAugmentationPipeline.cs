using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// The per-example image preprocessing seam. Training: [RandomResizedCrop | padded random crop] → horizontal flip →
/// normalization (by the caller's <c>normalize</c> delegate) → RandomErasing. Evaluation: shorter-side resize to
/// target / crop ratio then center crop when <see cref="Evaluation"/> is set, otherwise a plain resize (identity at
/// equal sizes).
/// </summary>
internal sealed class ImageAugmentationPipeline
{
    public ImageAugmentationPipeline(RandomResizedCrop? randomResizedCrop, PaddedRandomCrop? paddedCrop, bool horizontalFlip,
        RandomErasing? randomErasing, ResizeCenterCrop? evaluation)
    {
        if (randomResizedCrop is not null && paddedCrop is not null)
        {
            throw new ArgumentException("Use either RandomResizedCrop or a padded crop (CropPaddingFraction), not both.", nameof(paddedCrop));
        }
        RandomResizedCrop = randomResizedCrop;
        PaddedCrop = paddedCrop;
        HorizontalFlip = horizontalFlip;
        RandomErasing = randomErasing;
        Evaluation = evaluation;
    }

    public RandomResizedCrop? RandomResizedCrop { get; }
    public PaddedRandomCrop? PaddedCrop { get; }
    public bool HorizontalFlip { get; }
    public RandomErasing? RandomErasing { get; }
    public ResizeCenterCrop? Evaluation { get; }

    /// <summary>One augmented training example at (height, width); <paramref name="normalize"/> runs before erasing.</summary>
    public void Train(ReadOnlySpan<float> source, int channels, int sourceHeight, int sourceWidth,
        Span<float> destination, int height, int width, Random random, SpanAction? normalize = null)
    {
        int size = channels * height * width;
        Span<float> output = destination.Slice(0, size);
        if (RandomResizedCrop is not null)
        {
            RandomResizedCrop.Apply(source, channels, sourceHeight, sourceWidth, output, height, width, random);
        }
        else
        {
            Resize(source, channels, sourceHeight, sourceWidth, output, height, width);
            if (PaddedCrop is not null)
            {
                float[] resized = output.ToArray();
                PaddedCrop.Apply(resized, channels, height, width, output, flip: false, random);
            }
        }
        if (HorizontalFlip)
        {
            Images.HorizontalFlip.Apply(output, channels, height, width, random);
        }
        normalize?.Invoke(output);
        RandomErasing?.Apply(output, channels, height, width, random);
    }

    /// <summary>The deterministic evaluation/scoring image at (height, width).</summary>
    public void Evaluate(ReadOnlySpan<float> source, int channels, int sourceHeight, int sourceWidth,
        Span<float> destination, int height, int width, SpanAction? normalize = null)
    {
        Span<float> output = destination.Slice(0, channels * height * width);
        if (Evaluation is not null)
        {
            Evaluation.Apply(source, channels, sourceHeight, sourceWidth, output, height, width);
        }
        else
        {
            Resize(source, channels, sourceHeight, sourceWidth, output, height, width);
        }
        normalize?.Invoke(output);
    }

    private static void Resize(ReadOnlySpan<float> source, int channels, int sourceHeight, int sourceWidth,
        Span<float> output, int height, int width)
    {
        if (sourceHeight == height && sourceWidth == width)
        {
            source.Slice(0, output.Length).CopyTo(output);
        }
        else
        {
            BilinearResize.ResizeRegion(source, channels, sourceHeight, sourceWidth, 0, 0, sourceHeight, sourceWidth, output, height, width);
        }
    }

    /// <summary>An in-place operation on one image (normalization).</summary>
    public delegate void SpanAction(Span<float> image);
}
