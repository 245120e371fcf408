using TorchSharp;
using Microsoft.ML.Trainers.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>The convolution, batch-norm and shortcut settings torchvision's ResNet uses everywhere.</summary>
internal static class ResNetLayers
{
    /// <summary>PyTorch's BatchNorm2d defaults, which torchvision keeps.</summary>
    internal const double BatchNormEps = 1e-5;
    internal const double BatchNormMomentum = 0.1;

    internal static Conv2d Conv3x3(long inPlanes, long outPlanes, long stride) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 3, stride: stride, padding: 1, bias: false);

    /// <summary>
    /// A 3x3 convolution padded as <paramref name="padding"/> says; with <see cref="ResNetPadding.TopLeft"/> and a
    /// stride above 1 it has no padding of its own and its input goes through <see cref="PadTopLeft"/> first.
    /// </summary>
    internal static Conv2d Conv3x3(long inPlanes, long outPlanes, long stride, ResNetPadding padding) =>
        PadsTopLeft(padding, stride)
            ? nn.Conv2d(inPlanes, outPlanes, kernel_size: 3, stride: stride, padding: 0L, bias: false)
            : Conv3x3(inPlanes, outPlanes, stride);

    /// <summary>Whether a layer with this stride pads asymmetrically (CNTK's "same" padding of strided layers).</summary>
    internal static bool PadsTopLeft(ResNetPadding padding, long stride) => padding == ResNetPadding.TopLeft && stride > 1;

    /// <summary>
    /// Zero-pads <paramref name="before"/> rows/columns at the top/left and <paramref name="after"/> at the
    /// bottom/right. Explicit because libtorch's convolution and pooling only pad symmetrically.
    /// </summary>
    internal static Tensor PadTopLeft(Tensor x, long before, long after) =>
        nn.functional.pad(x, new[] { before, after, before, after });

    internal static Conv2d Conv1x1(long inPlanes, long outPlanes) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 1, bias: false);

    internal static GcSafeBatchNorm BatchNorm(long features) =>
        GcSafeBatchNorm.For2d(features, eps: BatchNormEps, momentum: BatchNormMomentum);

    /// <summary>
    /// torchvision's projection shortcut, <c>downsample = Sequential(conv1x1, BatchNorm2d)</c>, when the block
    /// changes resolution or width; null for the identity. The 1x1 convolution here has stride 1: the block
    /// subsamples its input first (<see cref="Shortcut"/>), which is the same function, gradients and parameter
    /// (<c>downsample.0.weight</c>) as torchvision's strided 1x1 convolution.
    /// </summary>
    /// <remarks>
    /// Why not a strided Conv2d: libtorch 2.10's CPU backward of a strided 1x1 convolution with 1024 or more output
    /// channels (ResNet-50's layer3/layer4 shortcuts) dies with SIGFPE on this project's build hosts (measured:
    /// 512→1008 channels works, 512→1024 crashes, any thread count, float32 and bfloat16). The subsampled form
    /// never reaches that kernel.
    /// </remarks>
    internal static Sequential? Downsample(long inPlanes, long outPlanes, long stride) =>
        stride == 1 && inPlanes == outPlanes ? null : nn.Sequential(Conv1x1(inPlanes, outPlanes), BatchNorm(outPlanes));

    /// <summary>The shortcut branch of a block: identity, or subsample by <paramref name="stride"/> then project.</summary>
    internal static Tensor Shortcut(Tensor x, Sequential? downsample, long stride)
    {
        if (downsample is null)
        {
            return x;
        }
        if (stride == 1)
        {
            return downsample.forward(x);
        }
        using Tensor sampled = x.slice(2, 0, x.shape[2], stride).slice(3, 0, x.shape[3], stride);
        return downsample.forward(sampled);
    }
}
