using System;
using Microsoft.ML.Optimizers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// <see cref="OptimizerOptions.Validate"/> and <see cref="ScheduleOptions.Validate"/> check, without parameters or a
/// run, what <c>Create</c> would reject later, so trainers can fail at construction.
/// </summary>
[TestClass]
public sealed class OptionsValidateTests
{
    [TestMethod]
    public void NesterovWithoutMomentumFailsWithoutParameters()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SgdOptions { Nesterov = true }.Validate());
        Assert.AreEqual("Nesterov", error.ParamName);
        new SgdOptions { Nesterov = true, Momentum = 0.9 }.Validate();
        new AdamWOptions().Validate();
        new MuonOptions().Validate();
    }

    [TestMethod]
    public void ScheduleChecksWhatDoesNotNeedTheRunAndTheRunWhenGiven()
    {
        var oneCycle = new OneCycleSchedule { ThreePhase = true, PctStart = 0.6 };
        Assert.AreEqual("PctStart", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => oneCycle.Validate()).ParamName);

        var warmup = new WarmupCosineSchedule { WarmupSteps = 10 };
        warmup.Validate();
        warmup.Validate(10);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => warmup.Validate(9));
        StringAssert.Contains(error.Message, "total number of steps 9");
        new WarmupLinearSchedule { WarmupRatio = 1.0 }.Validate();
    }
}
