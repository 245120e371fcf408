using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// The topology of a <see cref="ResNet"/>: block kind, blocks per stage, stem, widths, input channels and
/// classes. With the ImageNet stem and base width 64 this is exactly torchvision's
/// <c>ResNet(block, layers, num_classes)</c>, and the module's <c>state_dict</c> names match torchvision's.
/// </summary>
public sealed record ResNetConfig
{
    /// <summary>The residual block.</summary>
    public ResNetBlockKind Block { get; init; } = ResNetBlockKind.Basic;

    /// <summary>Blocks per stage (<c>layer1</c>, <c>layer2</c>, ...); torchvision ResNets have four stages, CIFAR ResNet-20 three.</summary>
    public IReadOnlyList<int> Layers { get; init; } = new[] { 2, 2, 2, 2 };

    /// <summary>Number of classes (outputs of <c>fc</c>).</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Channels of the input images (3 for RGB, 1 for grayscale).</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>The layers before the first stage.</summary>
    public ResNetStem Stem { get; init; } = ResNetStem.ImageNet;

    /// <summary>How stride-2 layers pad (torchvision's symmetric padding, or CNTK's top/left).</summary>
    public ResNetPadding Padding { get; init; } = ResNetPadding.Symmetric;

    /// <summary>
    /// Channels of the stem and of the first stage's blocks; each later stage doubles it (torchvision: 64, so
    /// 64/128/256/512). Smaller values make narrow, faster networks. Must be a multiple of
    /// <see cref="WidthMultiple"/>.
    /// </summary>
    public int BaseWidth { get; init; } = 64;

    /// <summary>
    /// Initialise the last batch norm of each residual branch to zero, so every block starts as the identity
    /// (torchvision's <c>zero_init_residual</c>; often helps from-scratch training).
    /// </summary>
    public bool ZeroInitResidual { get; init; }

    /// <summary>
    /// Widths must be multiples of this. Measured on libtorch 2.10 CPU (oneDNN): the input gradient of a
    /// convolution whose channel counts are not multiples of 16 is wrong (float32 and bfloat16, every time with one
    /// thread, intermittently with two; weight gradients are right), so narrower or odd widths would train on
    /// corrupted gradients without any error.
    /// </summary>
    public const int WidthMultiple = 16;

    /// <summary>Output channels of a block relative to its planes: 1 for BasicBlock, 4 for Bottleneck.</summary>
    public int Expansion => Block == ResNetBlockKind.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;

    /// <summary>Length of the feature vector the classifier sees.</summary>
    public int FeatureCount => BaseWidth * (1 << (Layers.Count - 1)) * Expansion;

    /// <summary>The configuration of a predefined architecture.</summary>
    /// <param name="architecture">The architecture.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inputChannels">Channels of the input images.</param>
    /// <param name="baseWidth">Width of the first stage; null uses the architecture's (64, or 16 for <see cref="ResNetArchitecture.CifarResNet20"/>).</param>
    public static ResNetConfig FromArchitecture(ResNetArchitecture architecture, int numClasses, int inputChannels = 3, int? baseWidth = null)
    {
        ResNetPadding padding = architecture == ResNetArchitecture.MLNetResNet18 ? ResNetPadding.TopLeft : ResNetPadding.Symmetric;
        (ResNetBlockKind block, int[] layers, ResNetStem stem, int width) = architecture switch
        {
            ResNetArchitecture.MLNetResNet18 => (ResNetBlockKind.Basic, new[] { 2, 2, 2, 3 }, ResNetStem.ImageNet, 64),
            ResNetArchitecture.ResNet18 => (ResNetBlockKind.Basic, new[] { 2, 2, 2, 2 }, ResNetStem.ImageNet, 64),
            ResNetArchitecture.ResNet34 => (ResNetBlockKind.Basic, new[] { 3, 4, 6, 3 }, ResNetStem.ImageNet, 64),
            ResNetArchitecture.ResNet50 => (ResNetBlockKind.Bottleneck, new[] { 3, 4, 6, 3 }, ResNetStem.ImageNet, 64),
            ResNetArchitecture.ResNet101 => (ResNetBlockKind.Bottleneck, new[] { 3, 4, 23, 3 }, ResNetStem.ImageNet, 64),
            ResNetArchitecture.ResNet152 => (ResNetBlockKind.Bottleneck, new[] { 3, 8, 36, 3 }, ResNetStem.ImageNet, 64),
            ResNetArchitecture.CifarResNet20 => (ResNetBlockKind.Basic, new[] { 3, 3, 3 }, ResNetStem.Cifar, 16),
            ResNetArchitecture.CifarResNet18 => (ResNetBlockKind.Basic, new[] { 2, 2, 2, 2 }, ResNetStem.Cifar, 64),
            _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "Unknown ResNet architecture."),
        };
        var config = new ResNetConfig
        {
            Block = block,
            Layers = layers,
            Stem = stem,
            Padding = padding,
            BaseWidth = baseWidth ?? width,
            NumClasses = numClasses,
            InputChannels = inputChannels,
        };
        config.Validate();
        return config;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Layers is null || Layers.Count == 0 || Layers.Any(n => n < 1))
        {
            throw new ArgumentException($"{nameof(Layers)} must list at least one stage, each with at least one block; got {FormatLayers()}.", nameof(Layers));
        }
        if (Layers.Count > 8)
        {
            throw new ArgumentException($"{nameof(Layers)} has {Layers.Count} stages; at most 8 are supported (widths double per stage).", nameof(Layers));
        }
        if (NumClasses < 1)
        {
            throw new ArgumentException($"{nameof(NumClasses)} must be at least 1; got {NumClasses}.", nameof(NumClasses));
        }
        if (InputChannels < 1)
        {
            throw new ArgumentException($"{nameof(InputChannels)} must be at least 1; got {InputChannels}.", nameof(InputChannels));
        }
        if (BaseWidth < WidthMultiple || BaseWidth % WidthMultiple != 0)
        {
            throw new ArgumentException(
                $"{nameof(BaseWidth)} must be a positive multiple of {WidthMultiple} (libtorch's CPU convolutions compute wrong input gradients for other channel counts); got {BaseWidth}.",
                nameof(BaseWidth));
        }
        if (!Enum.IsDefined(Block))
        {
            throw new ArgumentException($"{nameof(Block)} {Block} is not a known block kind.", nameof(Block));
        }
        if (!Enum.IsDefined(Padding))
        {
            throw new ArgumentException($"{nameof(Padding)} {Padding} is not a known padding.", nameof(Padding));
        }
        if (!Enum.IsDefined(Stem))
        {
            throw new ArgumentException($"{nameof(Stem)} {Stem} is not a known stem.", nameof(Stem));
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"ResNet({Block}, {FormatLayers()}, stem={Stem}, padding={Padding}, width={BaseWidth}, in={InputChannels}, classes={NumClasses})";

    private string FormatLayers() => Layers is null ? "null" : "[" + string.Join(", ", Layers) + "]";
}
