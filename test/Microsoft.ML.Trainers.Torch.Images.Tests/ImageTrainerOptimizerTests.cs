using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The ResNet trainer with each of the library's 11 optimizers, on a narrow ResNet-20 and real Fashion-MNIST rows.</summary>
[TestClass]
public sealed class ImageTrainerOptimizerTests
{
    public static IEnumerable<object[]> AllOptimizers() => new OptimizerOptions[]
    {
        new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
        new AdamOptions { LearningRate = 3e-3 },
        new AdamWOptions { LearningRate = 3e-3 },
        new LionOptions { LearningRate = 3e-4 },
        new LambOptions { LearningRate = 1e-2 },
        new LarsOptions { LearningRate = 0.1, Momentum = 0.9 },
        new AdanOptions { LearningRate = 3e-3 },
        new AdafactorOptions { LearningRate = 1e-2 },
        new ScheduleFreeAdamWOptions { LearningRate = 3e-3 },
        new MuonOptions { LearningRate = 0.02, FallbackLearningRate = 3e-3 },
        new SophiaOptions { LearningRate = 3e-3, HessianUpdateInterval = 2 },
    }.Select(o => new object[] { o.AlgorithmName, o });

    [TestMethod]
    [DynamicData(nameof(AllOptimizers))]
    public void TrainsATinyResNetWithEveryOptimizer(string name, OptimizerOptions optimizer)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 96));
        var epochs = new List<EpochMetrics>();
        var options = new ImageClassificationTrainerOptions
        {
            ImageColumnName = "Pixels", ImageChannels = 1, ImageHeight = 28, ImageWidth = 28,
            Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16,
            Epochs = 3, BatchSize = 32, Optimizer = optimizer, Seed = 3, EpochCallback = epochs.Add,
        };
        ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(train);
        Assert.AreEqual(3, epochs.Count);
        Assert.IsTrue(epochs.All(e => double.IsFinite(e.TrainLoss)), name);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, $"{name}: " + string.Join("; ", epochs));
        float[][] scores = model.Transform(train).GetColumn<float[]>("Score").ToArray();
        Assert.IsTrue(scores.All(row => row.All(float.IsFinite)), $"{name}: scores are finite");
    }

    [TestMethod]
    public void MuonSplitOfAResNetKeepsTheHeadBiasesAndNormsForAdamW()
    {
        using var network = ResNet.Create(ResNetArchitecture.ResNet18, numClasses: 10);
        var named = network.named_parameters().ToList();
        var (muon, fallback) = MuonParameterSplit.Split(named, network, "fc");
        Assert.IsTrue(muon.Count > 0);
        Assert.IsTrue(muon.All(p => p.Parameter.dim() == 4 && !p.Name.StartsWith("fc.")), string.Join(", ", muon.Select(p => p.Name)));
        CollectionAssert.Contains(muon.Select(p => p.Name).ToList(), "conv1.weight");
        CollectionAssert.Contains(muon.Select(p => p.Name).ToList(), "layer2.0.downsample.0.weight");
        var rest = fallback.Select(p => p.Name).ToList();
        CollectionAssert.Contains(rest, "fc.weight");
        CollectionAssert.Contains(rest, "fc.bias");
        CollectionAssert.Contains(rest, "bn1.weight");
        CollectionAssert.Contains(rest, "layer1.0.bn2.bias");
        Assert.AreEqual(named.Count, muon.Count + fallback.Count);
    }
}
