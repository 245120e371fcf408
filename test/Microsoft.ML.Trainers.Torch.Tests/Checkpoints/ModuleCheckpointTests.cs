using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Checkpoints;

/// <summary>Module state saves to and loads from safetensors with strict, explained name and shape checks.</summary>
[TestClass]
public sealed class ModuleCheckpointTests
{
    private static nn.Module<Tensor, Tensor> MakeNet(int classes) => nn.Sequential(
        ("conv", nn.Conv2d(1, 4, 3, bias: false)),
        ("bn", nn.BatchNorm2d(4)),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flat", nn.Flatten()),
        ("fc", nn.Linear(4, classes)));

    [TestMethod]
    public void SaveAndLoadRestoresParametersAndBuffers()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var source = MakeNet(3);
        source.train();
        source.forward(randn(8, 1, 6, 6)); // moves running stats and num_batches_tracked
        using var stream = new MemoryStream();
        ModuleCheckpoint.Save(source, stream);

        using var target = MakeNet(3);
        stream.Position = 0;
        CheckpointLoadReport report = ModuleCheckpoint.Load(target, stream, "net.safetensors");
        Assert.AreEqual(0, report.NotLoaded.Count);
        CollectionAssert.Contains(report.Loaded.ToList(), "bn.num_batches_tracked");

        var expected = ModuleCheckpoint.StateTensors(source).ToDictionary(t => t.Name, t => t.Tensor);
        foreach ((string name, Tensor t) in ModuleCheckpoint.StateTensors(target))
        {
            TensorAssert.AreEqual(expected[name], t, name);
        }
        Assert.AreEqual(1L, target.named_buffers().Single(b => b.name == "bn.num_batches_tracked").buffer.item<long>());
    }

    [TestMethod]
    public void Float16CheckpointLoadsIntoFloat32Module()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        using var source = MakeNet(3);
        using var stream = new MemoryStream();
        ModuleCheckpoint.Save(source, stream, ScalarType.Float16);
        stream.Position = 0;
        using (var reader = new SafetensorsReader(stream, leaveOpen: true))
        {
            Assert.AreEqual(SafetensorsDType.F16, reader.GetInfo("conv.weight").DType);
            Assert.AreEqual(SafetensorsDType.I64, reader.GetInfo("bn.num_batches_tracked").DType);
        }

        using var target = MakeNet(3);
        stream.Position = 0;
        ModuleCheckpoint.Load(target, stream);
        Tensor loaded = target.named_parameters().Single(p => p.name == "conv.weight").parameter;
        Tensor original = source.named_parameters().Single(p => p.name == "conv.weight").parameter;
        Assert.AreEqual(ScalarType.Float32, loaded.dtype);
        TensorAssert.AreEqual(original.to_type(ScalarType.Float16).to_type(ScalarType.Float32), loaded);
    }

    [TestMethod]
    public void ShapeMismatchNamesFileTensorAndBothShapesAndLeavesModuleUnchanged()
    {
        string path = SavedNet(classes: 5);
        using var scope = NewDisposeScope();
        using var target = MakeNet(3);
        Tensor before = target.named_parameters().Single(p => p.name == "conv.weight").parameter.clone();

        var ex = Assert.ThrowsExactly<CheckpointMismatchException>(() => ModuleCheckpoint.Load(target, path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "'fc.weight': checkpoint [5, 4] vs module [3, 4]");
        StringAssert.Contains(ex.Message, "'fc.bias': checkpoint [5] vs module [3]");
        Assert.AreEqual(2, ex.ShapeMismatches.Count);
        TensorAssert.AreEqual(before, target.named_parameters().Single(p => p.name == "conv.weight").parameter, "a failed load must not change the module");
    }

    [TestMethod]
    public void MissingAndUnexpectedTensorsAreNamed()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        using (var net = MakeNet(3))
        {
            var state = ModuleCheckpoint.StateTensors(net).Where(t => t.Name != "bn.running_var").ToList();
            state.Add(("extra.weight", zeros(2)));
            SafetensorsWriter.Write(stream, state);
        }

        using var target = MakeNet(3);
        stream.Position = 0;
        var ex = Assert.ThrowsExactly<CheckpointMismatchException>(() => ModuleCheckpoint.Load(target, stream, "partial.safetensors"));
        StringAssert.Contains(ex.Message, "partial.safetensors");
        StringAssert.Contains(ex.Message, "'bn.running_var'");
        StringAssert.Contains(ex.Message, "'extra.weight'");
        CollectionAssert.AreEqual(new[] { "bn.running_var" }, ex.Missing.ToArray());
        CollectionAssert.AreEqual(new[] { "extra.weight" }, ex.Unexpected.ToArray());

        stream.Position = 0;
        CheckpointLoadReport report = ModuleCheckpoint.Load(target, stream, "partial.safetensors",
            new CheckpointLoadOptions { AllowMissing = true, AllowUnexpected = true });
        CollectionAssert.AreEqual(new[] { "bn.running_var" }, report.NotLoaded.ToArray());
        CollectionAssert.AreEqual(new[] { "extra.weight" }, report.Unexpected.ToArray());
    }

    [TestMethod]
    public void IgnoredHeadPrefixLoadsBackboneAndKeepsFreshHead()
    {
        string path = SavedNet(classes: 5);
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var target = MakeNet(3);
        Tensor headBefore = target.named_parameters().Single(p => p.name == "fc.weight").parameter.clone();

        CheckpointLoadReport report = ModuleCheckpoint.Load(target, path, new CheckpointLoadOptions { IgnorePrefixes = new[] { "fc." } });
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, report.Ignored.ToArray());
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, report.NotLoaded.ToArray());
        TensorAssert.AreEqual(headBefore, target.named_parameters().Single(p => p.name == "fc.weight").parameter);
        using var reader = new SafetensorsReader(path);
        TensorAssert.AreEqual(reader.ReadTensor("conv.weight"), target.named_parameters().Single(p => p.name == "conv.weight").parameter);
    }

    private static string SavedNet(int classes)
    {
        string path = Path.Combine(TestData.NewTempDir(), $"net{classes}.safetensors");
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        using var net = MakeNet(classes);
        ModuleCheckpoint.Save(net, path);
        return path;
    }
}
