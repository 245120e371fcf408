using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>Per-channel <c>(x - mean) / std</c> on a batch (N × C × H × W), as torchvision's <c>Normalize</c>.</summary>
internal static class ImageNormalization
{
    public static Tensor Apply(Tensor images, ImageInputSpec spec)
    {
        Tensor mean = tensor(spec.Mean).view(1, spec.Channels, 1, 1);
        Tensor std = tensor(spec.Std).view(1, spec.Channels, 1, 1);
        return images.sub_(mean).div_(std);
    }
}
