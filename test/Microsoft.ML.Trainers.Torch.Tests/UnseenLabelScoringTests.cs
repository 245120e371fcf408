using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// A row whose label was never seen in training (key 0 after the training key mapping) is rejected the same way by
/// Transform and by PredictionEngine, which scores through the row-to-row mapper.
/// </summary>
[TestClass]
public sealed class UnseenLabelScoringTests
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
    }

    private static Row Fish() => new() { Label = "fish", Features = new[] { 1f, 0f, 0f } };

    [TestMethod]
    public void PredictionEngineRejectsAnUnseenLabelAsTransformDoes()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = TransformerPersistenceTests.BuildModel(ml);

        var transformError = Assert.ThrowsExactly<InvalidOperationException>(
            () => model.Transform(ml.Data.LoadFromEnumerable(new[] { Fish() })).GetColumn<float[]>("Score").ToArray());
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        var engineError = Assert.ThrowsExactly<InvalidOperationException>(() => engine.Predict(Fish()));

        StringAssert.Contains(engineError.Message, "label column 'Label' holds a value that was not among the training labels");
        Assert.AreEqual(transformError.Message[transformError.Message.IndexOf(':')..], engineError.Message[engineError.Message.IndexOf(':')..],
            "the same error, whatever the row position");
        // A seen label still predicts, with the same engine.
        Assert.AreEqual(3, engine.Predict(new Row { Label = "dog", Features = new[] { 0f, 2f, 0f } }).Score.Length);
    }
}
