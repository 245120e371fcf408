using System;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Options of <see cref="ImageClassificationTrainer"/>: the image column and how images become input, the
/// ResNet architecture and optional torchvision weights, augmentation, and (inherited) the training loop,
/// optimizer, schedule, validation and device.
/// </summary>
public sealed class ImageClassificationTrainerOptions : TorchTrainerOptions
{
    /// <summary>
    /// Options with the CNN defaults: SGD with Nesterov momentum 0.9, learning rate 0.1, weight decay 5e-4 (not on
    /// biases and norms), 3% linear warmup then cosine decay, batch 128 (the recipe of the Fashion-MNIST sample).
    /// </summary>
    public ImageClassificationTrainerOptions()
    {
        Optimizer = new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 };
        Schedule = new WarmupCosineSchedule { WarmupRatio = 0.03 };
        BatchSize = 128;
        Epochs = 10;
    }

    /// <summary>The image column: MLImage, encoded image bytes, or a float vector (see <see cref="ImageColumnKind"/>).</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>How the column holds images; null detects it from the column type.</summary>
    public ImageColumnKind? ImageColumnKind { get; set; }

    /// <summary>
    /// Channels the network sees: 1 (grayscale) or 3 (RGB). Images are converted; float vectors must
    /// have this many channels. Null: 3 for images, and required for float vectors.
    /// </summary>
    public int? ImageChannels { get; set; }

    /// <summary>Input height; images of other sizes are resized. Null: the first training image's height (required for float vectors).</summary>
    public int? ImageHeight { get; set; }

    /// <summary>Input width; images of other sizes are resized. Null: the first training image's width (required for float vectors).</summary>
    public int? ImageWidth { get; set; }

    /// <summary>The network.</summary>
    public ResNetArchitecture Architecture { get; set; } = ResNetArchitecture.ResNet18;

    /// <summary>Channels of the first stage (doubling per stage); null keeps the architecture's. Narrower is faster.</summary>
    public int? BaseWidth { get; set; }

    /// <summary>Start every residual block as the identity (torchvision's <c>zero_init_residual</c>).</summary>
    public bool ZeroInitResidual { get; set; }

    /// <summary>
    /// A torchvision ResNet <c>state_dict</c> saved as safetensors (float32 or float16) to fine-tune from.
    /// When its class count differs, the classification head is re-initialised. A path ending in <c>.onnx</c> imports
    /// the backbone from an ONNX ResNet graph instead (ML.NET's <c>ResNet18.onnx</c> with
    /// <see cref="ResNetArchitecture.MLNetResNet18"/>, whose normalization is then applied by default) and always
    /// initialises a new head.
    /// </summary>
    public string? PretrainedWeightsPath { get; set; }

    /// <summary>Apply training-only augmentation (<see cref="Augmentation"/>, <see cref="TrivialAugment"/>, <see cref="RandomErasingProbability"/>).</summary>
    public bool Augment { get; set; } = true;

    /// <summary>
    /// The training augmentation recipe: <see cref="ImageAugmentationPreset.Cifar"/> (padded random crop and flip, the
    /// default, for small images) or <see cref="ImageAugmentationPreset.ImageNet"/> (RandomResizedCrop and flip, for photos,
    /// with torchvision's resize-and-center-crop evaluation by default).
    /// </summary>
    public ImageAugmentationPreset Augmentation { get; set; } = ImageAugmentationPreset.Cifar;

    /// <summary>Smallest fraction of the image area a RandomResizedCrop keeps (ImageNet recipe; torchvision's 0.08).</summary>
    public double RandomResizedCropMinScale { get; set; } = 0.08;

    /// <summary>Largest fraction of the image area a RandomResizedCrop keeps (ImageNet recipe; 1).</summary>
    public double RandomResizedCropMaxScale { get; set; } = 1.0;

    /// <summary>Smallest width/height ratio of a RandomResizedCrop, drawn log-uniformly (ImageNet recipe; 3/4).</summary>
    public double RandomResizedCropMinRatio { get; set; } = 3.0 / 4.0;

    /// <summary>Largest width/height ratio of a RandomResizedCrop (ImageNet recipe; 4/3).</summary>
    public double RandomResizedCropMaxRatio { get; set; } = 4.0 / 3.0;

    /// <summary>
    /// Apply torchvision's TrivialAugmentWide to each training image after the crop and flip: one of 14 operations (identity,
    /// shear, translate, rotate, brightness, color, contrast, sharpness, posterize, solarize, autocontrast, equalize) with a
    /// uniformly drawn magnitude. Needs decoded images (not float vectors).
    /// </summary>
    public bool TrivialAugment { get; set; }

    /// <summary>
    /// Probability of torchvision's RandomErasing on each training image (0, the default, disables it): a rectangle of 2–33%
    /// of the area, aspect ratio 0.3–3.3, set to 0 after normalization.
    /// </summary>
    public double RandomErasingProbability { get; set; }

    /// <summary>
    /// Mixup's α (timm's <c>mixup_alpha</c>): each training batch is mixed with its reverse, λ·x + (1 − λ)·x', λ ~ Beta(α, α),
    /// and trained on the equally mixed soft labels (which carry <see cref="TorchTrainerOptions.LabelSmoothing"/>). 0 (the
    /// default) disables mixup; timm's recipes use 0.2–0.8. The reported training accuracy then compares predictions
    /// with each example's own (unmixed) label.
    /// </summary>
    public double MixupAlpha { get; set; }

    /// <summary>CutMix's α (timm's <c>cutmix_alpha</c>): a box of the reversed batch is pasted in instead; 0 disables it; timm uses 1.</summary>
    public double CutMixAlpha { get; set; }

    /// <summary>With both <see cref="MixupAlpha"/> and <see cref="CutMixAlpha"/> set, the probability that a batch uses CutMix (timm's 0.5).</summary>
    public double MixupSwitchProbability { get; set; } = 0.5;

    /// <summary>Probability that a batch is mixed at all when mixup or CutMix is on (timm's <c>prob</c>, 1).</summary>
    public double MixupProbability { get; set; } = 1.0;

    /// <summary>
    /// Evaluation preprocessing, applied identically to validation and, saved with the model, to scoring. Below 1, each
    /// image is resized keeping its aspect ratio so that it covers the input size divided by this ratio, center-cropped to
    /// that (and held at that size for training), and the network sees its center input-size crop: torchvision's
    /// <c>Resize(256)</c> + <c>CenterCrop(224)</c> at 0.875. 1 resizes each image straight to the input size (stretching other
    /// aspect ratios). Null: 0.875 with <see cref="ImageAugmentationPreset.ImageNet"/>, else 1. Float vectors need 1.
    /// </summary>
    public double? EvaluationCropRatio { get; set; }

    /// <summary>
    /// Zero padding, in pixels, around the random crop; 0 disables cropping. Null (the default) pads by ⅛ of the shorter
    /// image side: 4 pixels at 32 (the CIFAR recipe), 1 at 8. More than ¼ of the shorter side is refused when training starts.
    /// </summary>
    public int? CropPadding { get; set; }

    /// <summary>Flip training images horizontally with probability ½.</summary>
    public bool HorizontalFlip { get; set; } = true;

    /// <summary>
    /// Test-time augmentation: validation and scoring average the class probabilities of each image and its horizontal
    /// mirror, at twice the scoring cost; saved with the model, so <c>Transform</c> and <c>PredictionEngine</c> do it too.
    /// Suits classes that look alike mirrored, as <see cref="HorizontalFlip"/> training assumes. Off by default.
    /// </summary>
    public bool TestTimeFlip { get; set; }

    /// <summary>
    /// Test-time crops, in pixels; 0 (the default) takes none. Validation and scoring also average the four corner crops of
    /// each image padded by this many black pixels (the fill of the training crop; <see cref="CropPadding"/> pads the same
    /// way): torchvision's <c>FiveCrop</c> of the padded image, and with <see cref="TestTimeFlip"/> their mirrors too
    /// (<c>TenCrop</c>), at five (or ten) times the scoring cost. Saved with the model. At most ¼ of the input's shorter side.
    /// </summary>
    public int TestTimeCropPadding { get; set; }

    /// <summary>Normalize each channel to zero mean and unit variance.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>
    /// Per-channel means (after scaling bytes to [0, 1]); null computes them from the training images, or
    /// uses ImageNet's with pretrained weights.
    /// </summary>
    public float[]? NormalizationMean { get; set; }

    /// <summary>Per-channel standard deviations; null as for <see cref="NormalizationMean"/>.</summary>
    public float[]? NormalizationStd { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        RequireName(ImageColumnName, nameof(ImageColumnName));
        if (ImageChannels is int c && c != 1 && c != 3)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageChannels), $"ImageChannels must be 1 or 3 (was {c}).");
        }
        if (ImageHeight is int h && h < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageHeight), $"ImageHeight must be at least 1 (was {h}).");
        }
        if (ImageWidth is int w && w < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageWidth), $"ImageWidth must be at least 1 (was {w}).");
        }
        if (!Enum.IsDefined(Architecture))
        {
            throw new ArgumentOutOfRangeException(nameof(Architecture), $"Architecture {Architecture} is not a known ResNet.");
        }
        if (BaseWidth is int bw && (bw < ResNetConfig.WidthMultiple || bw % ResNetConfig.WidthMultiple != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(BaseWidth),
                $"BaseWidth must be a positive multiple of {ResNetConfig.WidthMultiple} (libtorch's CPU convolutions compute wrong input gradients for other channel counts; was {bw}).");
        }
        if (!Enum.IsDefined(Augmentation))
        {
            throw new ArgumentOutOfRangeException(nameof(Augmentation), $"Augmentation {Augmentation} is not a known preset.");
        }
        if (!(RandomResizedCropMinScale > 0 && RandomResizedCropMinScale <= RandomResizedCropMaxScale && RandomResizedCropMaxScale <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RandomResizedCropMinScale),
                $"RandomResizedCropMinScale and RandomResizedCropMaxScale must satisfy 0 < min ≤ max ≤ 1 (were {RandomResizedCropMinScale}, {RandomResizedCropMaxScale}).");
        }
        if (!(RandomResizedCropMinRatio > 0 && RandomResizedCropMinRatio <= RandomResizedCropMaxRatio && double.IsFinite(RandomResizedCropMaxRatio)))
        {
            throw new ArgumentOutOfRangeException(nameof(RandomResizedCropMinRatio),
                $"RandomResizedCropMinRatio and RandomResizedCropMaxRatio must satisfy 0 < min ≤ max < ∞ (were {RandomResizedCropMinRatio}, {RandomResizedCropMaxRatio}).");
        }
        if (!(RandomErasingProbability >= 0 && RandomErasingProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RandomErasingProbability),
                $"RandomErasingProbability must be in [0, 1] (was {RandomErasingProbability}).");
        }
        if (!(double.IsFinite(MixupAlpha) && MixupAlpha >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(MixupAlpha), $"MixupAlpha must be finite and at least 0 (was {MixupAlpha}).");
        }
        if (!(double.IsFinite(CutMixAlpha) && CutMixAlpha >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(CutMixAlpha), $"CutMixAlpha must be finite and at least 0 (was {CutMixAlpha}).");
        }
        if (!(MixupSwitchProbability >= 0 && MixupSwitchProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MixupSwitchProbability), $"MixupSwitchProbability must be in [0, 1] (was {MixupSwitchProbability}).");
        }
        if (!(MixupProbability >= 0 && MixupProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MixupProbability), $"MixupProbability must be in [0, 1] (was {MixupProbability}).");
        }
        if (EvaluationCropRatio is double ratio && !(ratio > 0 && ratio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(EvaluationCropRatio), $"EvaluationCropRatio must be in (0, 1] (was {ratio}).");
        }
        if (CropPadding is int padding && padding < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CropPadding), $"CropPadding must be at least 0 (was {padding}).");
        }
        if (PretrainedWeightsPath != null && !System.IO.File.Exists(PretrainedWeightsPath))
        {
            throw new System.IO.FileNotFoundException($"PretrainedWeightsPath '{PretrainedWeightsPath}' does not exist.", PretrainedWeightsPath);
        }
        if (PretrainedWeightsPath != null && !PretrainedWeightsPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            // Reading the header is cheap: a file that is not safetensors fails now, not after every training image was decoded.
            try
            {
                using var reader = new SafetensorsReader(PretrainedWeightsPath);
            }
            catch (System.IO.InvalidDataException e)
            {
                throw new System.IO.InvalidDataException($"PretrainedWeightsPath '{PretrainedWeightsPath}' is not a valid safetensors file: {e.Message}", e);
            }
        }
        CheckPerChannel(NormalizationMean, nameof(NormalizationMean), positive: false);
        CheckPerChannel(NormalizationStd, nameof(NormalizationStd), positive: true);
        if ((NormalizationMean == null) != (NormalizationStd == null))
        {
            throw new ArgumentException("Set both NormalizationMean and NormalizationStd, or neither.", nameof(NormalizationMean));
        }
    }

    private void CheckPerChannel(float[]? values, string option, bool positive)
    {
        if (values == null)
        {
            return;
        }
        if (values.Length != 1 && values.Length != 3)
        {
            throw new ArgumentException($"{option} needs one value per channel (1 or 3), not {values.Length}.", option);
        }
        if (ImageChannels is int c && values.Length != c)
        {
            throw new ArgumentException($"{option} has {values.Length} values but ImageChannels is {c}.", option);
        }
        foreach (float v in values)
        {
            if (!float.IsFinite(v) || (positive && v <= 0))
            {
                throw new ArgumentOutOfRangeException(option, $"{option} values must be finite{(positive ? " and positive" : "")} (got {v}).");
            }
        }
    }
}
