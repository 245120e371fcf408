using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// A custom TorchSharp transformer saves through <c>mlContext.Model.Save</c> (binary payload inside the
/// zip) and loads through <c>mlContext.Model.Load</c> in a fresh MLContext, with identical predictions.
/// </summary>
[TestClass]
public sealed class TransformerPersistenceTests
{
    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(3)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();

        public string PredictedLabelValue { get; set; } = "";
    }

    private static Row[] MakeRows(int count)
    {
        var rng = new Random(7);
        string[] names = { "cat", "dog", "bird" };
        return Enumerable.Range(0, count).Select(i =>
        {
            int c = i % 3;
            return new Row { Label = names[c], Features = new[] { c == 0 ? 2f : 0f, c == 1 ? 2f : 0f, c == 2 ? 2f : 0f }.Select(v => v + (float)rng.NextDouble()).ToArray() };
        }).ToArray();
    }

    /// <summary>A transformer chain: key-mapped label, then our classifier with weights set by hand.</summary>
    internal static (ITransformer Model, IDataView Data) BuildModel(MLContext ml)
    {
        IDataView data = ml.Data.LoadFromEnumerable(MakeRows(30));
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
        IDataView keyed = keyMap.Transform(data);
        LabelKeyInfo labels = LabelKeyInfo.FromSchema(keyed.Schema, "Label");
        var model = new LinearTestModel("Features", 3, labels.ClassCount);
        using (no_grad())
        {
            // Key order is the order labels first appear: cat, dog, bird.
            model.Network.parameters().First().copy_(eye(3).mul(3));
        }
        var classifier = new TorchClassificationTransformer(model, labels, scoringBatchSize: 7);
        var chain = new TransformerChain<ITransformer>(keyMap, classifier);
        return (chain, data);
    }

    [TestMethod]
    public void SavesAndLoadsInFreshContextWithIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        var (model, data) = BuildModel(ml);
        float[][] before = Scores(model.Transform(data));

        string path = Path.Combine(TestData.NewTempDir(), "model.zip");
        ml.Model.Save(model, data.Schema, path);

        var fresh = new MLContext(seed: 2);
        ITransformer loaded = fresh.Model.Load(path, out DataViewSchema inputSchema);
        Assert.AreEqual(data.Schema.Count, inputSchema.Count);
        float[][] after = Scores(loaded.Transform(fresh.Data.LoadFromEnumerable(MakeRows(30))));

        Assert.AreEqual(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
        {
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
        }
    }

    [TestMethod]
    public void BatchedTransformEvaluatesAndMatchesPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var (model, data) = BuildModel(ml);
        IDataView scored = model.Transform(data);

        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.AreEqual(1.0, metrics.MicroAccuracy, 1e-9, "the hand-set weights separate the classes");

        var withLabels = ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel");
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(new TransformerChain<ITransformer>(model, withLabels.Fit(scored)));
        float[][] batched = Scores(scored);
        Row[] rows = MakeRows(30);
        for (int i = 0; i < rows.Length; i++)
        {
            Prediction p = engine.Predict(rows[i]);
            Assert.AreEqual(rows[i].Label, p.PredictedLabelValue, $"row {i}");
            for (int c = 0; c < 3; c++)
            {
                Assert.AreEqual(batched[i][c], p.Score[c], 1e-6, $"row {i} class {c}");
            }
        }
    }

    [TestMethod]
    public void ScoresAreProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var (model, data) = BuildModel(ml);
        foreach (float[] row in Scores(model.Transform(data)))
        {
            Assert.AreEqual(1.0, row.Sum(), 1e-5);
            Assert.IsTrue(row.All(p => p >= 0 && p <= 1));
        }
    }

    internal static float[][] Scores(IDataView scored)
        => scored.GetColumn<float[]>("Score").ToArray();
}
