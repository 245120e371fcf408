using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// A bias-free 1x1 convolution with a stride, computed as "keep every stride-th pixel, then a 1x1 convolution
/// with stride 1" — the same function and gradients as <c>nn.Conv2d(in, out, 1, stride, bias=False)</c>, with the
/// same single parameter <c>weight</c> [out, in, 1, 1], so the shortcut keeps torchvision's name
/// <c>downsample.0.weight</c>.
/// </summary>
/// <remarks>
/// Why not Conv2d: libtorch 2.10's CPU backward of a strided 1x1 convolution with 1024 or more output channels
/// (ResNet-50's layer3/layer4 shortcuts) dies with SIGFPE on this project's build hosts (measured: 512→1008 channels
/// works, 512→1024 crashes, for any thread count, float32 and bfloat16, batch ≥ 1). The subsampled form never
/// reaches that kernel.
/// </remarks>
internal sealed class StridedPointwiseConv2d : nn.Module<Tensor, Tensor>
{
    private readonly long _stride;

    internal StridedPointwiseConv2d(long inChannels, long outChannels, long stride) : base(nameof(StridedPointwiseConv2d))
    {
        if (stride < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "Stride must be at least 1.");
        }
        _stride = stride;
        weight = new Parameter(empty(outChannels, inChannels, 1, 1));
        register_parameter("weight", weight);
        using IDisposable noGrad = no_grad();
        // Conv2d's default initialisation, in case the owner does not re-initialise.
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
    }

    /// <summary>The kernel, [out, in, 1, 1].</summary>
    public Parameter weight { get; }

    public override Tensor forward(Tensor input)
    {
        if (_stride == 1)
        {
            return nn.functional.conv2d(input, weight);
        }
        using DisposeScope scope = NewDisposeScope();
        Tensor sampled = input.slice(2, 0, input.shape[2], _stride).slice(3, 0, input.shape[3], _stride);
        return nn.functional.conv2d(sampled, weight).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight.Dispose();
        }
        base.Dispose(disposing);
    }
}
