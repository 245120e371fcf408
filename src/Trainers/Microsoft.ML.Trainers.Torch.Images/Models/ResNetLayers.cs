using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>The convolution and batch-norm settings torchvision's ResNet uses everywhere.</summary>
internal static class ResNetLayers
{
    /// <summary>PyTorch's BatchNorm2d defaults, which torchvision keeps.</summary>
    internal const double BatchNormEps = 1e-5;
    internal const double BatchNormMomentum = 0.1;

    internal static Conv2d Conv3x3(long inPlanes, long outPlanes, long stride) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 3, stride: stride, padding: 1, bias: false);

    internal static Conv2d Conv1x1(long inPlanes, long outPlanes) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 1, bias: false);

    /// <summary>The shortcut projection's convolution (see <see cref="StridedPointwiseConv2d"/> for why it is not a Conv2d).</summary>
    internal static StridedPointwiseConv2d Projection(long inPlanes, long outPlanes, long stride) =>
        new(inPlanes, outPlanes, stride);

    internal static BatchNorm2d BatchNorm(long features) =>
        nn.BatchNorm2d(features, eps: BatchNormEps, momentum: BatchNormMomentum);
}
