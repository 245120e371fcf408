namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>The training augmentation recipe of <see cref="ImageClassificationTrainerOptions.Augmentation"/>.</summary>
public enum ImageAugmentationPreset
{
    /// <summary>
    /// torchvision's CIFAR recipe, for small images: a random crop of the image padded with zeros by
    /// <see cref="ImageClassificationTrainerOptions.CropPadding"/>, then a horizontal flip.
    /// </summary>
    Cifar,

    /// <summary>
    /// torchvision's ImageNet recipe, for photos: <c>RandomResizedCrop</c> (scale and ratio from the options) then a
    /// horizontal flip; evaluation resizes the shorter side to the input size / 0.875 and center-crops (unless
    /// <see cref="ImageClassificationTrainerOptions.EvaluationCropRatio"/> says otherwise).
    /// </summary>
    ImageNet,
}
