using System;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// <see cref="TorchTrainerOptions.EarlyStoppingPatience"/> and a non-default <see cref="TorchTrainerOptions.BestEpochMetric"/>
/// without validation data fail at Validate() instead of doing nothing.
/// </summary>
[TestClass]
public sealed class OptionsThatNeedValidationTests
{
    private sealed class LoopOptions : TorchTrainerOptions
    {
    }

    private sealed class Row
    {
        public float Value { get; set; }
    }

    [TestMethod]
    public void PatienceWithoutValidationDataIsRefusedNamingTheOption()
    {
        var options = new LoopOptions { EarlyStoppingPatience = 2 };
        var ex = Assert.ThrowsExactly<ArgumentException>(options.Validate);
        Assert.AreEqual(nameof(TorchTrainerOptions.EarlyStoppingPatience), ex.ParamName);
        StringAssert.Contains(ex.Message, "ValidationSet");
        StringAssert.Contains(ex.Message, "ValidationFraction");
    }

    [TestMethod]
    public void PatienceWithAValidationSplitOrSetOrNoPatienceIsAccepted()
    {
        new LoopOptions { EarlyStoppingPatience = 2, ValidationFraction = 0.2 }.Validate();
        new LoopOptions { EarlyStoppingPatience = 2, ValidationSet = new MLContext().Data.LoadFromEnumerable(new[] { new Row() }) }.Validate();
        new LoopOptions().Validate();
    }

    [TestMethod]
    [DataRow(BestEpochMetric.LogLoss)]
    [DataRow(BestEpochMetric.MacroAccuracy)]
    public void ABestEpochMetricWithoutValidationDataIsRefusedNamingTheOption(BestEpochMetric metric)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(new LoopOptions { BestEpochMetric = metric }.Validate);
        Assert.AreEqual(nameof(TorchTrainerOptions.BestEpochMetric), ex.ParamName);
        StringAssert.Contains(ex.Message, metric.ToString());
        StringAssert.Contains(ex.Message, "ValidationFraction");

        new LoopOptions { BestEpochMetric = metric, ValidationFraction = 0.2 }.Validate();
    }
}
