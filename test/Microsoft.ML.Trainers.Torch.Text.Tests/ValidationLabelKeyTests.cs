using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// A ValidationSet mapped by its own MapValueToKey (same classes, another key order) is matched to the training labels
/// by key value: the reported validation accuracy is the one computed with the training mapping.
/// </summary>
[TestClass]
public sealed class ValidationLabelKeyTests
{
    private sealed class KeyRow
    {
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void ValidationAccuracyIsComputedWithTheTrainingKeyMapping()
    {
        var ml = new MLContext(seed: 1);
        (TextRow[] trainRows, TextRow[] testRows) = TextTestData.Spam(classes: 3);
        IDataView rawTrain = ml.Data.LoadFromEnumerable(trainRows);
        IDataView rawValidation = ml.Data.LoadFromEnumerable(testRows);
        ITransformer keys = TextTestData.MapLabel(ml).Fit(rawTrain);
        IDataView train = keys.Transform(rawTrain);
        VBuffer<ReadOnlyMemory<char>> values = default;
        train.Schema["Label"].GetKeyValues(ref values);
        KeyRow[] reversed = values.DenseValues().Select(v => new KeyRow { Label = v.ToString() }).Reverse().ToArray();
        IDataView ownMapped = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(reversed))
            .Fit(rawValidation).Transform(rawValidation);

        var options = TextClassificationTrainerTests.SmallFastText();
        options.ValidationSet = ownMapped;
        options.RestoreBestEpoch = false;
        var trainer = ml.MulticlassClassification.Trainers.TextClassification(options);
        using TorchClassificationTransformer model = trainer.Fit(train);

        double expected = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(rawValidation))).MicroAccuracy;
        Assert.IsGreaterThan(0.6, expected, "the model learned something, so a wrong key order would show");
        Assert.AreEqual(expected, trainer.TrainingHistory[^1].ValidationAccuracy!.Value, 1e-6);
    }
}
