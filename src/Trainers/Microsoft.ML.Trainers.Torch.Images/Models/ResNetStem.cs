namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>The layers before the first residual stage.</summary>
public enum ResNetStem
{
    /// <summary>torchvision's: 7x7 convolution with stride 2, batch norm, ReLU, 3x3 max pool with stride 2 (input shrinks 4x) — for images of about 224 pixels.</summary>
    ImageNet,

    /// <summary>3x3 convolution with stride 1, batch norm, ReLU, no pooling — for low-resolution images such as 28x28 or 32x32, where shrinking 4x up front loses too much.</summary>
    Cifar,
}
