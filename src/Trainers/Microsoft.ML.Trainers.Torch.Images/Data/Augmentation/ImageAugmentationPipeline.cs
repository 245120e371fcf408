using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// The trainer's per-example preprocessing of an image held at <see cref="ImageInputSpec.StoredHeight"/> ×
/// <see cref="ImageInputSpec.StoredWidth"/> in [0, 1] pixel scale, before normalization. Evaluation (validation and
/// scoring) is the center crop to the input size (a copy when both sizes are equal). Training is either
/// RandomResizedCrop then a horizontal flip (the ImageNet recipe: of the decoded photo at its own size when images stream
/// from files, see <see cref="TrainFromDecoded(DecodedImage, Span{float}, Random)"/>; of the held image otherwise), or the evaluation image with a
/// zero-padded random crop and flip (the CIFAR recipe); then TrivialAugmentWide, then RandomErasing (done before
/// normalization with the channel mean as fill, which is torchvision's 0 after it).
/// </summary>
internal sealed class ImageAugmentationPipeline
{
    private readonly ImageInputSpec _spec;

    /// <param name="spec">Sizes and normalization.</param>
    /// <param name="randomResizedCrop">Crop of the held image (ImageNet recipe); null for the padded crop.</param>
    /// <param name="cropPadding">Zero padding in pixels of the CIFAR crop (0: none); ignored with <paramref name="randomResizedCrop"/>.</param>
    /// <param name="horizontalFlip">Mirror with probability ½.</param>
    /// <param name="trivialAugment">One TrivialAugmentWide operation per image, or null.</param>
    /// <param name="randomErasing">Erasing, or null.</param>
    /// <param name="mixup">Batch mixing (mixup, CutMix) after collation, or null.</param>
    public ImageAugmentationPipeline(ImageInputSpec spec, RandomResizedCrop? randomResizedCrop, int cropPadding, bool horizontalFlip,
        TrivialAugmentWide? trivialAugment, RandomErasing? randomErasing, Mixup? mixup = null)
    {
        if (cropPadding < 0)
        {
            throw new ArgumentOutOfRangeException("CropPadding", $"CropPadding must be at least 0 (was {cropPadding}).");
        }
        _spec = spec;
        RandomResizedCrop = randomResizedCrop;
        CropPadding = randomResizedCrop is null ? cropPadding : 0;
        HorizontalFlip = horizontalFlip;
        TrivialAugment = trivialAugment;
        RandomErasing = randomErasing;
        Mixup = mixup;
    }

    /// <summary>No augmentation: training examples are the evaluation images.</summary>
    public static ImageAugmentationPipeline None(ImageInputSpec spec) => new(spec, null, 0, false, null, null);

    /// <summary>Sizes and normalization.</summary>
    public ImageInputSpec Spec => _spec;

    /// <summary>The same transforms for another spec (normalization known once the training images are read).</summary>
    public ImageAugmentationPipeline WithSpec(ImageInputSpec spec) => new(spec, RandomResizedCrop, CropPadding, HorizontalFlip, TrivialAugment, RandomErasing, Mixup);

    public RandomResizedCrop? RandomResizedCrop { get; }
    public int CropPadding { get; }
    public bool HorizontalFlip { get; }
    public TrivialAugmentWide? TrivialAugment { get; }
    public RandomErasing? RandomErasing { get; }

    /// <summary>Per-batch mixing, applied by <see cref="ImageTrainingSet.Mix"/> (not per example).</summary>
    public Mixup? Mixup { get; }

    /// <summary>Whether training draws anything at all (otherwise training examples are the evaluation images).</summary>
    public bool IsRandom => RandomResizedCrop is not null || CropPadding > 0 || HorizontalFlip || TrivialAugment is not null || RandomErasing is not null
        || Mixup is not null;

    /// <summary>One augmented training example (<see cref="ImageInputSpec.PixelCount"/> values) from a held image.</summary>
    public void Train(ReadOnlySpan<float> stored, Span<float> destination, Random random)
    {
        ImageInputSpec s = _spec;
        if (RandomResizedCrop is not null)
        {
            TrainFromDecoded(stored, s.StoredHeight, s.StoredWidth, destination, random);
            return;
        }
        Span<float> output = destination.Slice(0, s.PixelCount);
        if (CropPadding > 0 || HorizontalFlip)
        {
            // One crop-and-flip pass with the draws of the original CIFAR path, so seeds keep their batches.
            float[] evaluation = new float[s.PixelCount];
            Evaluate(stored, s, evaluation);
            ImageAugmentation.CropAndFlip(evaluation, output, s.Channels, s.Height, s.Width, CropPadding, HorizontalFlip, random);
        }
        else
        {
            Evaluate(stored, s, output);
        }
        AfterCrop(output, random);
    }

    /// <summary>
    /// One augmented training example of the ImageNet recipe from an image at its own size (<paramref name="height"/> ×
    /// <paramref name="width"/>, [0, 1]): the RandomResizedCrop's area and aspect ratio are those of that image, as
    /// torchvision applies it to the decoded photo, not to a resized or center-cropped copy.
    /// </summary>
    public void TrainFromDecoded(ReadOnlySpan<float> image, int height, int width, Span<float> destination, Random random)
    {
        ImageInputSpec s = _spec;
        if (RandomResizedCrop is null)
        {
            throw new InvalidOperationException("Training from an image at its own size needs the RandomResizedCrop (ImageNet) recipe.");
        }
        Span<float> output = destination.Slice(0, s.PixelCount);
        RandomResizedCrop.Apply(image, s.Channels, height, width, output, s.Height, s.Width, random);
        AfterCrop(output, random);
    }

    /// <summary>As <see cref="TrainFromDecoded(ReadOnlySpan{float}, int, int, Span{float}, Random)"/> from a decoded photo's bytes (only the crop is converted to floats).</summary>
    public void TrainFromDecoded(DecodedImage image, Span<float> destination, Random random)
    {
        ImageInputSpec s = _spec;
        if (RandomResizedCrop is null)
        {
            throw new InvalidOperationException("Training from an image at its own size needs the RandomResizedCrop (ImageNet) recipe.");
        }
        Span<float> output = destination.Slice(0, s.PixelCount);
        var (top, left, h, w) = RandomResizedCrop.SampleRegion(image.Height, image.Width, random);
        BilinearResize.ResizeRegion(image.Pixels, s.Channels, image.Height, image.Width, top, left, h, w, output, s.Height, s.Width);
        AfterCrop(output, random);
    }

    /// <summary>The flip (ImageNet recipe), then the transforms every recipe shares.</summary>
    private void AfterCrop(Span<float> output, Random random)
    {
        ImageInputSpec s = _spec;
        if (RandomResizedCrop is not null && HorizontalFlip)
        {
            Images.HorizontalFlip.Apply(output, s.Channels, s.Height, s.Width, random);
        }
        TrivialAugment?.Apply(output, s.Channels, s.Height, s.Width, random);
        RandomErasing?.Apply(output, s.Channels, s.Height, s.Width, random, s.Mean, s.Std);
    }

    /// <summary>
    /// The evaluation image: the center <see cref="ImageInputSpec.Height"/> × <see cref="ImageInputSpec.Width"/> of the
    /// held image (torchvision's <c>CenterCrop</c> offsets, rounded half to even as Python's <c>round</c>). The one
    /// function validation and scoring both call.
    /// </summary>
    public static void Evaluate(ReadOnlySpan<float> stored, ImageInputSpec spec, Span<float> destination)
    {
        int sh = spec.StoredHeight, sw = spec.StoredWidth, h = spec.Height, w = spec.Width;
        if (sh == h && sw == w)
        {
            stored.Slice(0, spec.PixelCount).CopyTo(destination);
            return;
        }
        int top = (int)Math.Round((sh - h) / 2.0), left = (int)Math.Round((sw - w) / 2.0);
        for (int c = 0; c < spec.Channels; c++)
        {
            for (int y = 0; y < h; y++)
            {
                stored.Slice(c * sh * sw + (top + y) * sw + left, w).CopyTo(destination.Slice(c * h * w + y * w, w));
            }
        }
    }
}
