using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>Fine-tuning from a torchvision checkpoint: the backbone loads strictly, a head of another class count is re-initialised.</summary>
[TestClass]
public sealed class ResNetPretrainedTests
{
    [TestMethod]
    public void HeadIsReinitialisedWhenTheClassCountDiffers()
    {
        string path = TestData.Golden("resnet", "resnet_basic_1111.fp16.safetensors");
        using var scope = NewDisposeScope();
        using var reader = new SafetensorsReader(path);
        ResNetConfig checkpointConfig = ResNetCheckpointTopology.Infer(reader);
        int classes = checkpointConfig.NumClasses + 2;

        random.manual_seed(9);
        using var model = new ResNet(new ResNetConfig { Block = checkpointConfig.Block, Layers = checkpointConfig.Layers, NumClasses = classes });
        ResNetPretrainedLoadResult result = ResNetPretrained.Load(model, reader);

        Assert.IsTrue(result.HeadReinitialized);
        Assert.AreEqual(checkpointConfig.NumClasses, result.CheckpointClasses);
        StringAssert.Contains(result.Message, path);
        StringAssert.Contains(result.Message, "re-initialised");
        StringAssert.Contains(result.Message, $"{checkpointConfig.NumClasses} classes");
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, result.Report.Ignored.ToArray());
        Assert.AreEqual(reader.Tensors.Count - 2, result.Report.Loaded.Count);

        Tensor conv = model.named_parameters().Single(p => p.name == "layer3.0.conv2.weight").parameter;
        Tensor stored = reader.ReadTensor("layer3.0.conv2.weight", ScalarType.Float32);
        Assert.AreEqual(0f, conv.sub(stored).abs().max().item<float>(), "backbone weights come from the checkpoint");
        Tensor fc = model.Classifier.weight!;
        CollectionAssert.AreEqual(new long[] { classes, 512 }, fc.shape);
        Assert.IsTrue(fc.abs().max().item<float>() <= 1 / Math.Sqrt(512) + 1e-6, "fresh head uses nn.Linear's initialisation");
    }

    [TestMethod]
    public void MatchingHeadLoadsEverything()
    {
        string path = TestData.Golden("resnet", "resnet_basic_1111.fp16.safetensors");
        using var reader = new SafetensorsReader(path);
        using var model = new ResNet(ResNetCheckpointTopology.Infer(reader));
        ResNetPretrainedLoadResult result = ResNetPretrained.Load(model, reader);
        Assert.IsFalse(result.HeadReinitialized);
        Assert.AreEqual(reader.Tensors.Count, result.Report.Loaded.Count);
    }

    [TestMethod]
    public void BackboneMismatchStillFailsWithNames()
    {
        string path = TestData.Golden("resnet", "resnet_basic_1111.fp16.safetensors");
        using var model = ResNet.Create(ResNetArchitecture.ResNet18, numClasses: 3); // two blocks per stage, not one
        var ex = Assert.ThrowsExactly<CheckpointMismatchException>(() => ResNetPretrained.Load(model, path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "'layer1.1.conv1.weight'");
    }

    [TestMethod]
    public void NotAResNetCheckpointIsExplained()
    {
        string path = Path.Combine(TestData.NewTempDir(), "other.safetensors");
        using (var scope = NewDisposeScope())
        {
            SafetensorsWriter.Write(path, new[] { new System.Collections.Generic.KeyValuePair<string, Tensor>("encoder.weight", ones(2, 2)) });
        }
        using var reader = new SafetensorsReader(path);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ResNetCheckpointTopology.Infer(reader));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "conv1.weight");
    }
}
