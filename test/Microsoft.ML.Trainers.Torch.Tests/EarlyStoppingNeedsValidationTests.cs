using System;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary><see cref="TorchTrainerOptions.EarlyStoppingPatience"/> without validation data fails at Validate() instead of doing nothing.</summary>
[TestClass]
public sealed class EarlyStoppingNeedsValidationTests
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
}
