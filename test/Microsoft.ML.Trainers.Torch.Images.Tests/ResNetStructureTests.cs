using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>The ResNet family has torchvision's names, sizes, initialisation and batch-norm semantics.</summary>
[TestClass]
public sealed class ResNetStructureTests
{
    // torchvision facts: sum(p.numel() for p in resnetXX().parameters()) and len(resnetXX().state_dict()).
    [TestMethod]
    [DataRow(ResNetArchitecture.ResNet18, 11_689_512L, 122)]
    [DataRow(ResNetArchitecture.ResNet34, 21_797_672L, 218)]
    [DataRow(ResNetArchitecture.ResNet50, 25_557_032L, 320)]
    public void TorchvisionParameterCountsAndStateDictSizes(ResNetArchitecture architecture, long parameters, int stateEntries)
    {
        using var model = ResNet.Create(architecture, numClasses: 1000);
        Assert.AreEqual(parameters, model.parameters().Sum(p => p.numel()));
        Assert.AreEqual(stateEntries, ModuleCheckpoint.StateTensors(model).Count);
    }

    [TestMethod]
    public void StateDictNamesMatchTorchvision()
    {
        using var model = ResNet.Create(ResNetArchitecture.ResNet50, numClasses: 10);
        var names = ModuleCheckpoint.StateTensors(model).ToDictionary(t => t.Name, t => t.Tensor.shape);
        CollectionAssert.AreEqual(new long[] { 64, 3, 7, 7 }, names["conv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 64 }, names["bn1.running_mean"]);
        CollectionAssert.AreEqual(Array.Empty<long>(), names["bn1.num_batches_tracked"]);
        CollectionAssert.AreEqual(new long[] { 64, 64, 1, 1 }, names["layer1.0.conv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 256, 64, 1, 1 }, names["layer1.0.downsample.0.weight"]);
        CollectionAssert.AreEqual(new long[] { 512, 256, 1, 1 }, names["layer2.0.downsample.0.weight"]);
        CollectionAssert.AreEqual(new long[] { 512 }, names["layer2.0.downsample.1.running_var"]);
        CollectionAssert.AreEqual(new long[] { 128, 128, 3, 3 }, names["layer2.0.conv2.weight"]);
        CollectionAssert.AreEqual(new long[] { 2048, 512, 1, 1 }, names["layer4.2.conv3.weight"]);
        CollectionAssert.AreEqual(new long[] { 10, 2048 }, names["fc.weight"]);
        CollectionAssert.AreEqual(new long[] { 10 }, names["fc.bias"]);
        Assert.IsFalse(names.Keys.Any(n => n.StartsWith("maxpool", StringComparison.Ordinal) || n.StartsWith("avgpool", StringComparison.Ordinal)));
        Assert.AreEqual(ScalarType.Int64, ModuleCheckpoint.StateTensors(model).Single(t => t.Name == "layer3.5.bn3.num_batches_tracked").Tensor.dtype);
    }

    [TestMethod]
    public void BottleneckStridesTheThreeByThreeConvolution()
    {
        // v1.5: with the stride on the 1x1 convolution, a 1-pixel shift of the input would be dropped by conv1.
        // Observable: the 3x3 convolution at stride 2 sees every input pixel, so a change at an odd position
        // still changes the output; with stride on conv1 (1x1, stride 2) odd positions are never read by the branch.
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var block = new Bottleneck(8, 4, stride: 2);
        block.eval();
        Tensor x = randn(1, 8, 8, 8);
        Tensor y = x.clone();
        y[0, TensorIndex.Colon, 1, 1] = y[0, TensorIndex.Colon, 1, 1] + 5;
        using (no_grad())
        {
            Tensor bx = BranchOnly(block, x);
            Tensor by = BranchOnly(block, y);
            Assert.IsTrue(bx.sub(by).abs().max().item<float>() > 1e-4, "the branch must read odd input positions");
        }
    }

    [TestMethod]
    [DataRow(2, 7)]
    [DataRow(2, 8)]
    [DataRow(3, 10)]
    public void ProjectionShortcutEqualsTorchvisionsStridedOneByOneConvolution(int stride, int size)
    {
        // torchvision: downsample = Sequential(Conv2d(in, out, 1, stride), BatchNorm2d). Ours subsamples, then a
        // stride-1 1x1 convolution (see ResNetLayers.Downsample); value and input gradient must agree.
        using var scope = NewDisposeScope();
        random.manual_seed(12);
        using var block = new BasicBlock(16, 32, stride);
        block.train();
        var p = block.named_parameters().ToDictionary(t => t.name, t => (Tensor)t.parameter);
        Tensor x1 = randn(new long[] { 3, 16, size, size }, requires_grad: true);
        Tensor x2 = x1.detach().clone().requires_grad_(true);

        Tensor ours = block.forward(x1);
        Tensor shortcut = nn.functional.batch_norm(nn.functional.conv2d(x2, p["downsample.0.weight"], strides: new long[] { stride, stride }),
            null, null, p["downsample.1.weight"], p["downsample.1.bias"], training: true);
        Tensor branch = nn.functional.batch_norm(nn.functional.conv2d(x2, p["conv1.weight"], strides: new long[] { stride, stride }, padding: new long[] { 1, 1 }),
            null, null, p["bn1.weight"], p["bn1.bias"], training: true).relu();
        branch = nn.functional.batch_norm(nn.functional.conv2d(branch, p["conv2.weight"], padding: new long[] { 1, 1 }),
            null, null, p["bn2.weight"], p["bn2.bias"], training: true);
        Tensor reference = branch.add(shortcut).relu();

        CollectionAssert.AreEqual(reference.shape, ours.shape);
        Assert.IsTrue(reference.sub(ours).abs().max().item<float>() < 1e-5, "forward");
        Tensor upstream = randn(ours.shape);
        ours.mul(upstream).sum().backward();
        reference.mul(upstream).sum().backward();
        double gradError = x1.grad!.sub(x2.grad!).abs().max().item<float>();
        double gradScale = x2.grad!.abs().max().item<float>();
        Assert.IsTrue(gradError <= 1e-5 * Math.Max(1, gradScale), $"input gradient: max error {gradError:E3}, max |grad| {gradScale:E3}");
    }

    [TestMethod]
    public void InputGradientsAreRightAtSupportedWidths()
    {
        // Guards ResNetConfig.WidthMultiple: libtorch's CPU convolution input gradient is wrong for channel counts
        // that are not multiples of 16; at multiples of 16 it must equal the unfold/fold reference.
        using var scope = NewDisposeScope();
        random.manual_seed(21);
        foreach ((long c, long o) in new[] { (16L, 16L), (16L, 32L), (64L, 64L) })
        {
            Tensor w = randn(new long[] { o, c, 3, 3 });
            Tensor x = randn(new long[] { 3, c, 8, 8 }, requires_grad: true);
            Tensor y = nn.functional.conv2d(x, w, padding: new long[] { 1, 1 });
            Tensor g = randn(y.shape);
            y.backward(new[] { g });
            Tensor reference = nn.functional.fold(w.view(o, c * 9).t().matmul(g.view(3, o, 64)), 8, 3, padding: 1);
            Assert.IsTrue(x.grad!.sub(reference).abs().max().item<float>() < 1e-3, $"{c}->{o} channels");
        }
    }

    [TestMethod]
    public void WideShortcutsTrainWithoutTheLibtorchStridedPointwiseCrash()
    {
        // libtorch 2.10's strided 1x1 Conv2d backward dies (SIGFPE) at 1024+ output channels on the build hosts;
        // ResNet-50's layer3.0 shortcut is 512 -> 1024 with stride 2.
        using var scope = NewDisposeScope();
        using var block = new Bottleneck(512, 256, stride: 2);
        block.train();
        Tensor x = randn(new long[] { 2, 512, 4, 4 }, requires_grad: true);
        block.forward(x).sum().backward();
        CollectionAssert.AreEqual(new long[] { 2, 512, 4, 4 }, x.grad!.shape);
    }

    private static Tensor BranchOnly(Bottleneck block, Tensor x)
    {
        var children = block.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        Tensor h = children["bn1"].forward(children["conv1"].forward(x)).relu();
        h = children["bn2"].forward(children["conv2"].forward(h)).relu();
        return children["bn3"].forward(children["conv3"].forward(h));
    }

    [TestMethod]
    public void InitialisationFollowsTorchvision()
    {
        random.manual_seed(3);
        using var model = new ResNet(new ResNetConfig { Layers = new[] { 1, 1, 1, 1 }, NumClasses = 7, ZeroInitResidual = true });
        var state = ModuleCheckpoint.StateTensors(model).ToDictionary(t => t.Name, t => t.Tensor);
        using var scope = NewDisposeScope();

        // kaiming_normal_(mode='fan_out', nonlinearity='relu'): std = sqrt(2 / (out_channels * k * k)).
        Tensor w = state["layer4.0.conv2.weight"];
        double expectedStd = Math.Sqrt(2.0 / (512 * 3 * 3));
        double std = w.std().item<float>();
        Assert.AreEqual(expectedStd, std, expectedStd * 0.02);
        Assert.AreEqual(1f, state["bn1.weight"].min().item<float>());
        Assert.AreEqual(0f, state["bn1.bias"].abs().max().item<float>());
        Assert.AreEqual(0f, state["layer1.0.bn2.weight"].abs().max().item<float>(), "zero_init_residual zeroes the last BN of each block");
        Assert.AreEqual(1f, state["layer1.0.bn1.weight"].min().item<float>());
        // nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        Assert.IsTrue(state["fc.weight"].abs().max().item<float>() <= 1 / Math.Sqrt(512) + 1e-6);
    }

    [TestMethod]
    public void BatchNormUsesPyTorchDefaultsAndTracksBatches()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        using var model = ResNet.Create(ResNetArchitecture.CifarResNet20, numClasses: 10, inputChannels: 1);
        var bn = model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm>().ToList();
        // Every normalization layer in the state dict (one running_mean each), and at least the stem's and two per basic block.
        int normalizationLayers = ModuleCheckpoint.StateTensors(model).Count(t => t.Name.EndsWith(".running_mean", StringComparison.Ordinal));
        Assert.IsTrue(normalizationLayers >= 19, $"ResNet-20 has at least 19 batch norms ({normalizationLayers})");
        Assert.AreEqual(normalizationLayers, bn.Count);
        Assert.IsTrue(bn.All(b => b.eps == 1e-5 && b.momentum == 0.1));

        Tensor x = randn(4, 1, 28, 28).mul(3).add(2);
        Tensor runningMean = ModuleCheckpoint.StateTensors(model).Single(t => t.Name == "bn1.running_mean").Tensor;
        model.train();
        model.forward(x);
        Assert.AreEqual(1L, ModuleCheckpoint.StateTensors(model).Single(t => t.Name == "bn1.num_batches_tracked").Tensor.item<long>());
        // PyTorch's update from a zero start: running_mean = momentum × the batch mean of bn1's input (conv1's output).
        var conv1 = (TorchSharp.Modules.Conv2d)model.named_modules().Single(m => m.name == "conv1").module;
        Tensor expectedMean;
        using (no_grad())
        {
            expectedMean = conv1.forward(x).mean(new long[] { 0, 2, 3 }).mul(0.1);
        }
        float meanError = runningMean.sub(expectedMean).abs().max().item<float>();
        Assert.IsTrue(meanError < 1e-5f, $"train mode updates running statistics as PyTorch does (max error {meanError})");
        Assert.IsTrue(expectedMean.abs().max().item<float>() > 1e-3f, "the check above is not vacuous");

        model.eval();
        Tensor a, b;
        using (no_grad())
        {
            a = model.forward(x);
            b = model.forward(x.narrow(0, 0, 1));
        }
        Assert.IsTrue(a.narrow(0, 0, 1).sub(b).abs().max().item<float>() < 1e-5, "eval mode output of a sample does not depend on the batch");
        Assert.AreEqual(1L, ModuleCheckpoint.StateTensors(model).Single(t => t.Name == "bn1.num_batches_tracked").Tensor.item<long>());
    }

    [TestMethod]
    [DataRow(ResNetArchitecture.CifarResNet20, 1, 28, 10)]
    [DataRow(ResNetArchitecture.CifarResNet18, 1, 28, 10)]
    [DataRow(ResNetArchitecture.ResNet18, 1, 64, 3)]
    [DataRow(ResNetArchitecture.ResNet50, 3, 64, 4)]
    public void ForwardGivesOneLogitPerClassAndBackwardReachesTheStem(ResNetArchitecture architecture, int channels, int size, int classes)
    {
        using var scope = NewDisposeScope();
        using var model = ResNet.Create(architecture, classes, channels, baseWidth: architecture == ResNetArchitecture.CifarResNet18 ? 16 : null);
        model.train();
        Tensor logits = model.forward(randn(2, channels, size, size));
        CollectionAssert.AreEqual(new long[] { 2, classes }, logits.shape);
        logits.sum().backward();
        Tensor? stemGrad = model.named_parameters().Single(p => p.name == "conv1.weight").parameter.grad;
        Assert.IsNotNull(stemGrad);
        Assert.IsTrue(stemGrad.isfinite().all().item<bool>(), "the stem gradient is finite");
        // Every stem filter receives gradient, not just some: the whole network is connected to the loss.
        Tensor perFilter = stemGrad.abs().flatten(1).sum(1);
        Assert.AreEqual(0L, perFilter.eq(0).sum().item<long>(), "stem filters without gradient");
    }

    [TestMethod]
    [DataRow(ResNetArchitecture.ResNet50)]
    [DataRow(ResNetArchitecture.CifarResNet20)]
    public void ConvertsToBFloat16AndTrainsAStep(ResNetArchitecture architecture)
    {
        using var scope = NewDisposeScope();
        using var model = ResNet.Create(architecture, numClasses: 3, inputChannels: 1, baseWidth: 16);
        model.to(ScalarType.BFloat16);
        Assert.IsTrue(model.parameters().All(p => p.dtype == ScalarType.BFloat16));
        Assert.AreEqual(ScalarType.Int64, ModuleCheckpoint.StateTensors(model).Single(t => t.Name == "bn1.num_batches_tracked").Tensor.dtype);
        model.train();
        Tensor logits = model.forward(randn(new long[] { 4, 1, 32, 32 }, dtype: ScalarType.BFloat16));
        Assert.AreEqual(ScalarType.BFloat16, logits.dtype);
        logits.to_type(ScalarType.Float32).sum().backward();
        var downsample = model.named_parameters().First(p => p.name.Contains("downsample.0.weight", StringComparison.Ordinal));
        Assert.AreEqual(ScalarType.BFloat16, downsample.parameter.dtype);
        Assert.IsNotNull(downsample.parameter.grad, "the shortcut weight stays registered after conversion");
    }

    [TestMethod]
    public void CifarResNet20IsTheSmallThreeStageNetwork()
    {
        using var model = ResNet.Create(ResNetArchitecture.CifarResNet20, numClasses: 10, inputChannels: 1);
        var names = ModuleCheckpoint.StateTensors(model).ToDictionary(t => t.Name, t => t.Tensor.shape);
        CollectionAssert.AreEqual(new long[] { 16, 1, 3, 3 }, names["conv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 64, 64, 3, 3 }, names["layer3.2.conv2.weight"]);
        Assert.IsFalse(names.ContainsKey("layer4.0.conv1.weight"));
        Assert.IsFalse(names.ContainsKey("layer1.0.downsample.0.weight"));
        CollectionAssert.AreEqual(new long[] { 10, 64 }, names["fc.weight"]);
        // 19 3x3 convolutions and fc as in He et al. (0.27M), plus two 1x1 projection shortcuts.
        long count = model.parameters().Sum(p => p.numel());
        Assert.IsTrue(count is > 265_000 and < 280_000, $"{count} parameters");
    }

    [TestMethod]
    public void InvalidConfigurationsNameTheSetting()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new ResNet(new ResNetConfig { NumClasses = 0 }));
        StringAssert.Contains(ex.Message, "NumClasses");
        ex = Assert.ThrowsExactly<ArgumentException>(() => new ResNet(new ResNetConfig { Layers = new[] { 2, 0 } }));
        StringAssert.Contains(ex.Message, "Layers");
        ex = Assert.ThrowsExactly<ArgumentException>(() => ResNetConfig.FromArchitecture(ResNetArchitecture.CifarResNet18, 10, 1, baseWidth: 24));
        StringAssert.Contains(ex.Message, "BaseWidth");
        using var model = ResNet.Create(ResNetArchitecture.CifarResNet20, numClasses: 10, inputChannels: 1);
        using var scope = NewDisposeScope();
        ex = Assert.ThrowsExactly<ArgumentException>(() => model.forward(zeros(2, 3, 28, 28)));
        StringAssert.Contains(ex.Message, "[N, 1, H, W]");
    }

    [TestMethod]
    public void SavedModelReloadsIntoAFreshModelAndTopologyIsInferred()
    {
        string path = Path.Combine(TestData.NewTempDir(), "r.safetensors");
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        var config = ResNetConfig.FromArchitecture(ResNetArchitecture.CifarResNet18, numClasses: 10, inputChannels: 1, baseWidth: 16);
        using var source = new ResNet(config);
        source.train();
        source.forward(randn(4, 1, 28, 28));
        ModuleCheckpoint.Save(source, path);

        using var reader = new SafetensorsReader(path);
        ResNetConfig inferred = ResNetCheckpointTopology.Infer(reader);
        Assert.AreEqual(config.ToString(), inferred.ToString());
        using var copy = new ResNet(inferred);
        ModuleCheckpoint.Load(copy, reader);
        source.eval();
        copy.eval();
        Tensor x = randn(3, 1, 28, 28);
        using (no_grad())
        {
            Assert.AreEqual(0f, source.forward(x).sub(copy.forward(x)).abs().max().item<float>());
        }
    }
}
