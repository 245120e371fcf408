namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>How the strided layers of a <see cref="ResNet"/> pad their input.</summary>
public enum ResNetPadding
{
    /// <summary>torchvision's: the same padding on every side (7x7 stem 3, 3x3 convolutions and max pool 1).</summary>
    Symmetric,

    /// <summary>
    /// CNTK's "same" padding, as in ML.NET's pretrained ResNet-18 (<see cref="ResNetArchitecture.MLNetResNet18"/>):
    /// the stride-2 layers put the extra pixel at the top/left (7x7 stem 3 before, 2 after; strided 3x3 convolutions
    /// and the max pool 1 before, 0 after). Stride-1 convolutions stay symmetric.
    /// </summary>
    TopLeft,
}
