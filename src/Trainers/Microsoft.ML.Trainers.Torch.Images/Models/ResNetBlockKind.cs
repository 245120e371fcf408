namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>The residual block a ResNet stacks, as in torchvision.models.resnet.</summary>
public enum ResNetBlockKind
{
    /// <summary>Two 3x3 convolutions (torchvision <c>BasicBlock</c>, expansion 1): ResNet-18/34 and CIFAR ResNets.</summary>
    Basic,

    /// <summary>1x1, 3x3 (carrying the stride, "ResNet v1.5"), 1x1 convolutions (torchvision <c>Bottleneck</c>, expansion 4): ResNet-50 and deeper.</summary>
    Bottleneck,
}
