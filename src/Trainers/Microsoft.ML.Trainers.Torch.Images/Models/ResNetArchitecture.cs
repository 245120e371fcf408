namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>Predefined ResNet architectures (see <see cref="ResNetConfig.FromArchitecture"/>).</summary>
public enum ResNetArchitecture
{
    /// <summary>torchvision resnet18: BasicBlock [2, 2, 2, 2], ImageNet stem, widths 64-512, 11.7M parameters.</summary>
    ResNet18,

    /// <summary>torchvision resnet34: BasicBlock [3, 4, 6, 3], ImageNet stem, 21.8M parameters.</summary>
    ResNet34,

    /// <summary>torchvision resnet50: Bottleneck [3, 4, 6, 3], ImageNet stem, 25.6M parameters.</summary>
    ResNet50,

    /// <summary>torchvision resnet101: Bottleneck [3, 4, 23, 3], ImageNet stem, 44.5M parameters.</summary>
    ResNet101,

    /// <summary>torchvision resnet152: Bottleneck [3, 8, 36, 3], ImageNet stem, 60.2M parameters.</summary>
    ResNet152,

    /// <summary>
    /// He et al.'s CIFAR ResNet-20: three stages of three BasicBlocks, widths 16/32/64 (scaled by the base width),
    /// 3x3 stem without pooling; 0.27M parameters. Projection (1x1 convolution) shortcuts, named as in torchvision.
    /// </summary>
    CifarResNet20,

    /// <summary>
    /// ResNet-18 layout (BasicBlock [2, 2, 2, 2]) with the 3x3 stem and no pooling, for low-resolution images;
    /// widths 64-512 by default (11.2M parameters), commonly narrowed with a smaller base width.
    /// </summary>
    CifarResNet18,

    /// <summary>
    /// ML.NET's pretrained ImageNet ResNet-18 (the network behind <c>DnnFeaturizeImage</c>, a CNTK export shipped in the
    /// NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 as <c>ResNet18.onnx</c>): BasicBlock [2, 2, 2, 3],
    /// ImageNet stem, widths 64-512, CNTK's top/left padding (<see cref="ResNetPadding.TopLeft"/>); 13.9M parameters.
    /// Set <c>PretrainedWeightsPath</c> to that <c>.onnx</c> file to fine-tune it.
    /// </summary>
    MLNetResNet18,
}
