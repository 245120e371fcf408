using Microsoft.ML.Trainers.Torch.Modules;
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// A ResNet image classifier in TorchSharp with torchvision.models.resnet's structure, initialisation and
/// <c>state_dict</c> names (<c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer1.0.conv1.weight</c>,
/// <c>layer2.0.downsample.0.weight</c>, <c>fc.weight</c>, ...), so torchvision checkpoints load with
/// <see cref="ModuleCheckpoint"/>. Input: N x C x H x W floats; output: N x classes logits.
/// </summary>
/// <remarks>
/// Batch norm uses PyTorch's defaults (eps 1e-5, momentum 0.1) and tracks <c>num_batches_tracked</c> as an int64
/// buffer; call <c>train()</c> / <c>eval()</c> to switch between batch and running statistics, as in PyTorch.
/// </remarks>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly GcSafeBatchNorm _bn1;
    private readonly MaxPool2d? _maxpool;
    private readonly Sequential[] _stages;
    private readonly AdaptiveAvgPool2d _avgpool;
    private readonly Linear _fc;
    private readonly bool _padTopLeft;

    /// <summary>Builds a ResNet and initialises it as torchvision does.</summary>
    /// <param name="config">The topology; validated first.</param>
    public ResNet(ResNetConfig config) : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        long width = config.BaseWidth;
        _padTopLeft = config.Stem == ResNetStem.ImageNet && config.Padding == ResNetPadding.TopLeft;
        long stemPadding = _padTopLeft ? 0 : 3;
        long poolPadding = _padTopLeft ? 0 : 1;
        _conv1 = config.Stem == ResNetStem.ImageNet
            ? nn.Conv2d(config.InputChannels, width, kernel_size: 7, stride: 2, padding: stemPadding, bias: false)
            : nn.Conv2d(config.InputChannels, width, kernel_size: 3, stride: 1, padding: 1, bias: false);
        _bn1 = ResNetLayers.BatchNorm(width);
        _maxpool = config.Stem == ResNetStem.ImageNet ? nn.MaxPool2d(kernel_size: 3, stride: 2, padding: poolPadding) : null;
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);
        if (_maxpool is not null)
        {
            register_module("maxpool", _maxpool);
        }

        long inPlanes = width;
        _stages = new Sequential[config.Layers.Count];
        for (int stage = 0; stage < config.Layers.Count; stage++)
        {
            long planes = width << stage;
            long stride = stage == 0 ? 1 : 2;
            _stages[stage] = MakeStage(config.Block, ref inPlanes, planes, config.Layers[stage], stride, config.Padding);
            register_module($"layer{stage + 1}", _stages[stage]);
        }

        _avgpool = nn.AdaptiveAvgPool2d(1);
        _fc = nn.Linear(inPlanes, config.NumClasses);
        register_module("avgpool", _avgpool);
        register_module("fc", _fc);

        InitializeLikeTorchvision(config.ZeroInitResidual);
    }

    /// <summary>The topology this model was built from.</summary>
    public ResNetConfig Config { get; }

    /// <summary>The classification head (<c>fc</c>).</summary>
    public Linear Classifier => _fc;

    /// <summary>Builds a predefined architecture.</summary>
    /// <param name="architecture">The architecture.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inputChannels">Channels of the input images.</param>
    /// <param name="baseWidth">Width of the first stage; null uses the architecture's.</param>
    public static ResNet Create(ResNetArchitecture architecture, int numClasses, int inputChannels = 3, int? baseWidth = null) =>
        new(ResNetConfig.FromArchitecture(architecture, numClasses, inputChannels, baseWidth));

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor features = ForwardFeatures(input);
        return _fc.forward(features).MoveToOuterDisposeScope();
    }

    /// <summary>The pooled feature vectors (N x <see cref="ResNetConfig.FeatureCount"/>) the classifier sees.</summary>
    public Tensor ForwardFeatures(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != Config.InputChannels)
        {
            throw new ArgumentException(
                $"ResNet expects input of shape [N, {Config.InputChannels}, H, W]; got [{string.Join(", ", input.shape)}].", nameof(input));
        }
        using DisposeScope scope = NewDisposeScope();
        Tensor x = _bn1.forward(_conv1.forward(_padTopLeft ? ResNetLayers.PadTopLeft(input, 3, 2) : input)).relu_();
        if (_maxpool is not null)
        {
            // Zero padding is max pooling's -inf padding here: the input is a ReLU output, never below zero.
            x = _maxpool.forward(_padTopLeft ? ResNetLayers.PadTopLeft(x, 1, 0) : x);
        }
        foreach (Sequential stage in _stages)
        {
            x = stage.forward(x);
        }
        return _avgpool.forward(x).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Re-initialises the classification head (PyTorch's default Linear initialisation), for fine-tuning a
    /// checkpoint on new classes.
    /// </summary>
    public void ResetClassifier()
    {
        // PyTorch's nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) on the weight is U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        // and the bias uses the same bound.
        using IDisposable noGrad = no_grad();
        double bound = 1.0 / Math.Sqrt(_fc.weight!.shape[1]);
        nn.init.uniform_(_fc.weight, -bound, bound);
        if (_fc.bias is not null)
        {
            nn.init.uniform_(_fc.bias, -bound, bound);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv1.Dispose();
            _bn1.Dispose();
            _maxpool?.Dispose();
            foreach (Sequential stage in _stages)
            {
                stage.Dispose();
            }
            _avgpool.Dispose();
            _fc.Dispose();
        }
        base.Dispose(disposing);
    }

    private static Sequential MakeStage(ResNetBlockKind block, ref long inPlanes, long planes, int blocks, long stride, ResNetPadding padding)
    {
        long expansion = block == ResNetBlockKind.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        var modules = new List<nn.Module<Tensor, Tensor>>(blocks);
        for (int i = 0; i < blocks; i++)
        {
            long blockStride = i == 0 ? stride : 1;
            modules.Add(block == ResNetBlockKind.Bottleneck
                ? new Bottleneck(inPlanes, planes, blockStride, padding)
                : new BasicBlock(inPlanes, planes, blockStride, padding));
            inPlanes = planes * expansion;
        }
        return nn.Sequential(modules);
    }

    private void InitializeLikeTorchvision(bool zeroInitResidual)
    {
        using IDisposable noGrad = no_grad();
        foreach ((string _, nn.Module module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    // He initialisation on fan-out, as torchvision does for every convolution.
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
            }
        }
        if (zeroInitResidual)
        {
            foreach ((string _, nn.Module module) in named_modules())
            {
                GcSafeBatchNorm? last = module switch
                {
                    BasicBlock b => b.LastNorm,
                    Bottleneck b => b.LastNorm,
                    _ => null,
                };
                if (last is not null)
                {
                    nn.init.zeros_(last.weight);
                }
            }
        }
        // fc keeps nn.Linear's default initialisation, as in torchvision.
    }
}
