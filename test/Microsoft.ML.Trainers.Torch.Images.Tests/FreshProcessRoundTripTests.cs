using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>A saved image classifier loads in a fresh process (fresh MLContext) and predicts identically.</summary>
[TestClass]
public sealed class FreshProcessRoundTripTests
{
    [TestMethod]
    public void SavedModelScoresIdenticallyInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        // A float-vector image column: MLImage columns cannot be written to an .idv file.
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 300));
        IDataView test = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("t10k", 100));
        var options = new ImageClassificationTrainerOptions
        {
            ImageColumnName = "Pixels",
            ImageChannels = 1,
            ImageHeight = 28,
            ImageWidth = 28,
            Architecture = ResNetArchitecture.CifarResNet20,
            BaseWidth = 16,
            Epochs = 1,
            BatchSize = 32,
            Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true },
            Seed = 3,
        };
        ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(train);

        string dir = TestData.NewTempDir();
        string modelPath = Path.Combine(dir, "model.zip");
        string dataPath = Path.Combine(dir, "test.idv");
        ml.Model.Save(model, train.Schema, modelPath);
        using (var stream = File.Create(dataPath))
        {
            ml.Data.SaveAsBinary(test, stream);
        }

        IDataView scored = model.Transform(ml.Data.LoadFromBinary(dataPath));
        float[][] expectedScores = scored.GetColumn<float[]>("Score").ToArray();
        uint[] expectedLabels = scored.GetColumn<uint>("PredictedLabel").ToArray();

        (uint[] labels, float[][] scores) = FreshProcessScoring.Score(modelPath, dataPath);
        Assert.HasCount(expectedScores.Length, scores);
        CollectionAssert.AreEqual(expectedLabels, labels);
        for (int i = 0; i < scores.Length; i++)
        {
            CollectionAssert.AreEqual(expectedScores[i], scores[i], $"row {i}");
        }
        Assert.IsTrue(expectedLabels.Distinct().Count() > 1, "a trained model predicts more than one class");
    }
}
