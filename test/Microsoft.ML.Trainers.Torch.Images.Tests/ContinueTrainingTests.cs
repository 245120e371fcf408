using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary><see cref="TorchTrainerOptions.ContinueFrom"/>: a new fit starts from a trained model's weights.</summary>
[TestClass]
public sealed class ContinueTrainingTests
{
    private static ImageClassificationTrainerOptions Options(int epochs, int baseWidth = 16) => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = baseWidth,
        Epochs = epochs,
        BatchSize = 32,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
        Seed = 3,
    };

    [TestMethod]
    public void ContinuedFitStartsWhereTheTrainedModelEnded()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train"));
        IDataView train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);

        var first = ml.MulticlassClassification.Trainers.ImageClassification(Options(epochs: 3));
        using TorchClassificationTransformer trained = first.Fit(train);

        var freshTrainer = ml.MulticlassClassification.Trainers.ImageClassification(Options(epochs: 1));
        using TorchClassificationTransformer fresh = freshTrainer.Fit(train);

        ImageClassificationTrainerOptions continuing = Options(epochs: 1);
        continuing.ContinueFrom = trained;
        var continuedTrainer = ml.MulticlassClassification.Trainers.ImageClassification(continuing);
        using TorchClassificationTransformer continued = continuedTrainer.Fit(train);

        double freshLoss = freshTrainer.TrainingHistory[0].TrainLoss;
        double continuedLoss = continuedTrainer.TrainingHistory[0].TrainLoss;
        double trainedLoss = first.TrainingHistory[^1].TrainLoss;
        Console.WriteLine($"first epoch loss: fresh {freshLoss:F4}, continued {continuedLoss:F4}; the trained model's last epoch {trainedLoss:F4}");
        Assert.IsLessThan(0.8 * freshLoss, continuedLoss, "the continued fit starts from the trained weights, not from scratch");
        Assert.IsLessThan(1.5 * trainedLoss, continuedLoss, "and picks up near where the trained model ended");
    }

    [TestMethod]
    public void ClassesInAnotherKeyOrderOrAnotherNetworkAreRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train"));
        IDataView train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        using TorchClassificationTransformer trained = ml.MulticlassClassification.Trainers.ImageClassification(Options(epochs: 1)).Fit(train);

        VBuffer<ReadOnlyMemory<char>> keys = default;
        train.Schema["Label"].GetKeyValues(ref keys);
        var reversed = keys.DenseValues().Select(k => new KeyRow { Label = k.ToString() }).Reverse().ToArray();
        IDataView otherOrder = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(reversed)).Fit(raw).Transform(raw);
        ImageClassificationTrainerOptions sameNetwork = Options(epochs: 1);
        sameNetwork.ContinueFrom = trained;
        var order = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ImageClassification(sameNetwork).Fit(otherOrder));
        StringAssert.Contains(order.Message, "ContinueFrom");
        StringAssert.Contains(order.Message, "key order");

        ImageClassificationTrainerOptions wider = Options(epochs: 1, baseWidth: 32);
        wider.ContinueFrom = trained;
        var shape = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ImageClassification(wider).Fit(train));
        StringAssert.Contains(shape.Message, "ContinueFrom");
        StringAssert.Contains(shape.Message, "conv1.weight");
        StringAssert.DoesNotMatch(shape.StackTrace!, new System.Text.RegularExpressions.Regex("ReadTrainingSet|TrainingLoop"), "checked before any image is read");
    }

    private sealed class KeyRow
    {
        public string Label { get; set; } = "";
    }
}
