using System;
using Microsoft.ML.Optimizers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Options that can be checked without data fail when the trainer is created; those needing the data size fail before
/// the first text is read.
/// </summary>
[TestClass]
public sealed class EarlyOptionChecksTests
{
    [TestMethod]
    public void AThreePhaseOneCycleWithPctStartAboveHalfFailsAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.SmallFastText();
        options.Schedule = new OneCycleSchedule { ThreePhase = true, PctStart = 0.6 };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.TextClassification(options));
        Assert.AreEqual("PctStart", error.ParamName);
    }

    [TestMethod]
    public void MuonOnAFastTextWithoutAHiddenLayerFailsAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.SmallFastText();
        options.Optimizer = new MuonOptions();
        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(options));
        Assert.AreEqual("Optimizer", error.ParamName);
        StringAssert.Contains(error.Message, "HiddenSize");
    }

    [TestMethod]
    [DataRow(0.0, 8, DisplayName = "every row trains: 64 rows in batches of 16, 8 steps in all")]
    [DataRow(0.25, 6, DisplayName = "ValidationFraction 0.25 holds 16 rows out: 48 rows, 6 steps in all")]
    public void AWarmupLongerThanTheRunFailsBeforeAnyTextIsRead(double validationFraction, int totalSteps)
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.SmallFastText(epochs: 2);
        options.ValidationFraction = validationFraction;
        options.Schedule = new WarmupCosineSchedule { WarmupSteps = 100 };
        var trainer = ml.MulticlassClassification.Trainers.TextClassification(options);
        IDataView data = TextTestData.MapLabel(ml).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 3)))
            .Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 3)));

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        StringAssert.Contains(error.Message, $"total number of steps {totalSteps}");
        StringAssert.DoesNotMatch(error.StackTrace!, new System.Text.RegularExpressions.Regex("ReadTrainingSet|TrainingLoop"), "checked before reading");
    }
}
