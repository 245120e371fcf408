using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// The Fashion-MNIST CNN recipe the README measures, in one place for the samples that train it (FashionMnist, and
/// FashionMnistTransfer and OptimizerClaims, which link this file): CIFAR ResNet-18 at base width 16 on 28x28 grey
/// images, batch 128, crop and flip, random erasing, label smoothing, 3% warmup then cosine decay, mixed bfloat16.
/// Callers set the optimizer, seed and threads (and may change the precision).
/// </summary>
internal static class FashionMnistRecipe
{
    public static ImageClassificationTrainerOptions Options(string imageColumnName, int epochs) => new()
    {
        ImageColumnName = imageColumnName,
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        // Widths must be multiples of 16 (libtorch's CPU convolution backward is wrong otherwise); 16 is fast on 2 cores.
        Architecture = ResNetArchitecture.CifarResNet18,
        BaseWidth = 16,
        Epochs = epochs,
        BatchSize = 128,
        // 28x28 images: a 2-pixel shift is the useful range (4 loses too much of the garment).
        CropPadding = 2,
        HorizontalFlip = true,
        // Regularizers for a 30-epoch run, at common values (timm's random-erasing default, Szegedy et al.'s smoothing).
        RandomErasingProbability = 0.25,
        LabelSmoothing = 0.1,
        // Fashion-MNIST's training-set statistics (pixels scaled to [0, 1]).
        NormalizationMean = new[] { 0.286f },
        NormalizationStd = new[] { 0.353f },
        Schedule = new WarmupCosineSchedule { WarmupRatio = 0.03 },
        Precision = TrainingPrecision.MixedBFloat16,
    };
}
