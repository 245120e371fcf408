using Microsoft.ML.Trainers.Torch.Modules;
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// torchvision's <c>Bottleneck</c> ("ResNet v1.5"): 1x1 convolution, 3x3 convolution carrying the stride,
/// 1x1 convolution expanding to 4x planes, each followed by batch norm, plus the shortcut, ReLU.
/// Submodules <c>conv1..3</c>, <c>bn1..3</c>, optional <c>downsample</c> carry torchvision's names.
/// </summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    private readonly Conv2d _conv1;
    private readonly GcSafeBatchNorm _bn1;
    private readonly Conv2d _conv2;
    private readonly GcSafeBatchNorm _bn2;
    private readonly Conv2d _conv3;
    private readonly GcSafeBatchNorm _bn3;
    private readonly Sequential? _downsample;
    private readonly long _stride;
    private readonly bool _padTopLeft;

    /// <summary>Creates the block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Width of the inner convolutions; the block outputs <c>4 * planes</c> channels.</param>
    /// <param name="stride">Stride of the 3x3 convolution (as torchvision does; the original paper strided the first 1x1).</param>
    /// <param name="padding">How a strided 3x3 convolution pads (torchvision's symmetric, or CNTK's top/left).</param>
    /// <remarks>
    /// The shortcut is the identity when shapes are unchanged, else torchvision's projection <c>downsample</c>
    /// (1x1 convolution and batch norm) applied to the input subsampled by <paramref name="stride"/>.
    /// </remarks>
    public Bottleneck(long inPlanes, long planes, long stride = 1, ResNetPadding padding = ResNetPadding.Symmetric) : base(nameof(Bottleneck))
    {
        if (inPlanes < 1 || planes < 1 || stride < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(planes), $"{nameof(Bottleneck)}: channels and stride must be positive (inPlanes={inPlanes}, planes={planes}, stride={stride}).");
        }
        _stride = stride;
        _padTopLeft = ResNetLayers.PadsTopLeft(padding, stride);
        _conv1 = ResNetLayers.Conv1x1(inPlanes, planes);
        _bn1 = ResNetLayers.BatchNorm(planes);
        _conv2 = ResNetLayers.Conv3x3(planes, planes, stride, padding);
        _bn2 = ResNetLayers.BatchNorm(planes);
        _conv3 = ResNetLayers.Conv1x1(planes, planes * Expansion);
        _bn3 = ResNetLayers.BatchNorm(planes * Expansion);
        _downsample = ResNetLayers.Downsample(inPlanes, planes * Expansion, stride);
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);
        register_module("conv2", _conv2);
        register_module("bn2", _bn2);
        register_module("conv3", _conv3);
        register_module("bn3", _bn3);
        if (_downsample is not null)
        {
            register_module("downsample", _downsample);
        }
    }

    /// <summary>The batch norm closing the residual branch (zeroed by <see cref="ResNetConfig.ZeroInitResidual"/>).</summary>
    public GcSafeBatchNorm LastNorm => _bn3;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor identity = ResNetLayers.Shortcut(x, _downsample, _stride);
        Tensor branch = _bn1.forward(_conv1.forward(x)).relu_();
        branch = _bn2.forward(_conv2.forward(_padTopLeft ? ResNetLayers.PadTopLeft(branch, 1, 0) : branch)).relu_();
        Tensor output = _bn3.forward(_conv3.forward(branch)).add_(identity, TorchScalars.One).relu_();
        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv1.Dispose();
            _bn1.Dispose();
            _conv2.Dispose();
            _bn2.Dispose();
            _conv3.Dispose();
            _bn3.Dispose();
            _downsample?.Dispose();
        }
        base.Dispose(disposing);
    }
}
