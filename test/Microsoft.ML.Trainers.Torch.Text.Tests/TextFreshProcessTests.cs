using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>A saved text classifier (weights, vocabulary and configuration in the zip) predicts identically in a fresh process.</summary>
[TestClass]
public sealed class TextFreshProcessTests
{
    [TestMethod]
    [DataRow(nameof(FastText))]
    [DataRow(nameof(BertFineTuning))]
    public void SavedModelScoresIdenticallyInAFreshProcess(string architecture)
    {
        var ml = new MLContext(seed: 1);
        var options = architecture == nameof(BertFineTuning) ? TextClassificationTrainerTests.TinyBert(epochs: 10) : TextClassificationTrainerTests.SmallFastText();
        IDataView train = ml.Data.LoadFromEnumerable(TextTestData.Sentiment(96, seed: 21));
        ITransformer model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(train);

        string dir = TestData.NewTempDir();
        string modelPath = Path.Combine(dir, "model.zip");
        string dataPath = Path.Combine(dir, "test.idv");
        ml.Model.Save(model, train.Schema, modelPath);
        using (var stream = File.Create(dataPath))
        {
            ml.Data.SaveAsBinary(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(60, seed: 22)), stream);
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
        Assert.IsGreaterThan(1, expectedLabels.Distinct().Count(), "a trained model predicts both classes");
    }
}
