using System;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Options, groups, schedules and checkpoints reject bad input with messages that name the culprit.</summary>
[TestClass]
public sealed class ValidationTests
{
    private static void ExpectOutOfRange(Action action, string name, string message)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(action);
        Assert.AreEqual(name, e.ParamName);
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void OptionsNameTheRejectedValue()
    {
        ExpectOutOfRange(() => new AdamWOptions { LearningRate = -1 }, "LearningRate", "LearningRate must be >= 0 (was -1).");
        ExpectOutOfRange(() => new SgdOptions { WeightDecay = -0.5 }, "WeightDecay", "WeightDecay must be >= 0 (was -0.5).");
        ExpectOutOfRange(() => new AdamWOptions { Beta1 = 1.0 }, "Beta1", "Beta1 must be >= 0 and < 1 (was 1).");
        ExpectOutOfRange(() => new AdamOptions { Beta2 = -0.1 }, "Beta2", "Beta2 must be >= 0 and < 1 (was -0.1).");
        ExpectOutOfRange(() => new AdamWOptions { Epsilon = 0 }, "Epsilon", "Epsilon must be > 0 (was 0).");
        ExpectOutOfRange(() => new SgdOptions { Momentum = -0.9 }, "Momentum", "Momentum must be >= 0 (was -0.9).");
        ExpectOutOfRange(() => new SgdOptions { Dampening = 2 }, "Dampening", "Dampening must be between 0 and 1 (was 2).");
        ExpectOutOfRange(() => new LionOptions { Beta2 = 1.5 }, "Beta2", "Beta2 must be >= 0 and < 1 (was 1.5).");
    }

    [TestMethod]
    public void NonFiniteValuesAreRejected()
    {
        ExpectOutOfRange(() => new AdamWOptions { LearningRate = double.NaN }, "LearningRate", "LearningRate must be a finite number (was NaN).");
        ExpectOutOfRange(() => new SgdOptions { LearningRate = double.PositiveInfinity }, "LearningRate", "must be a finite number");
        ExpectOutOfRange(() => new AdamWOptions { WeightDecay = double.NegativeInfinity }, "WeightDecay", "must be a finite number");
        ExpectOutOfRange(() => new AdamWOptions { Epsilon = double.NaN }, "Epsilon", "must be a finite number");
        ExpectOutOfRange(() => new SgdOptions { Momentum = double.NaN }, "Momentum", "must be a finite number");
        ExpectOutOfRange(() => new WarmupCosineSchedule { MinLearningRateRatio = double.NaN }, "MinLearningRateRatio", "must be a finite number");
    }

    [TestMethod]
    public void NesterovNeedsMomentumAndNoDampening()
    {
        using var p = new Parameter(zeros(3));
        ExpectOutOfRange(() => new SgdOptions { Nesterov = true }.Create(new[] { p }), "Nesterov", "Nesterov momentum requires Momentum > 0 and Dampening == 0");
        ExpectOutOfRange(() => new SgdOptions { Nesterov = true, Momentum = 0.9, Dampening = 0.1 }.Create(new[] { p }), "Nesterov", "Dampening was 0.1");
        // A group's own momentum counts too.
        ExpectOutOfRange(() => new SgdOptions { Nesterov = true, Momentum = 0.9 }.Create(new[] { new ParameterGroup(new[] { p }, momentum: 0) }), "Nesterov", "Momentum was 0");
        using Optimizer ok = new SgdOptions { Nesterov = true, Momentum = 0.9 }.Create(new[] { p });
    }

    [TestMethod]
    public void DefaultsArePyTorchs()
    {
        var adamW = new AdamWOptions();
        Assert.AreEqual((1e-3, 0.01, 0.9, 0.999, 1e-8, false, false), (adamW.LearningRate, adamW.WeightDecay, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.AmsGrad, adamW.Maximize));
        var adam = new AdamOptions();
        Assert.AreEqual((1e-3, 0.0), (adam.LearningRate, adam.WeightDecay));
        var sgd = new SgdOptions();
        Assert.AreEqual((1e-3, 0.0, 0.0, 0.0, false), (sgd.LearningRate, sgd.Momentum, sgd.Dampening, sgd.WeightDecay, sgd.Nesterov));
        var lion = new LionOptions();
        Assert.AreEqual((1e-4, 0.0, 0.9, 0.99), (lion.LearningRate, lion.WeightDecay, lion.Beta1, lion.Beta2));
        var oneCycle = new OneCycleSchedule();
        Assert.AreEqual((0.3, AnnealStrategy.Cosine, 25.0, 1e4, true, 0.85, 0.95, false),
            (oneCycle.PctStart, oneCycle.AnnealStrategy, oneCycle.DivFactor, oneCycle.FinalDivFactor, oneCycle.CycleMomentum, oneCycle.BaseMomentum, oneCycle.MaxMomentum, oneCycle.ThreePhase));
    }

    [TestMethod]
    public void CloneIsIndependent()
    {
        var template = new AdamWOptions { LearningRate = 3e-4 };
        var copy = (AdamWOptions)template.Clone();
        copy.LearningRate = 1e-2;
        copy.Beta1 = 0.8;
        Assert.AreEqual(3e-4, template.LearningRate);
        Assert.AreEqual(0.9, template.Beta1);
        var schedule = new OneCycleSchedule { MaxLearningRate = 1 };
        ((OneCycleSchedule)schedule.Clone()).MaxLearningRate = 2;
        Assert.AreEqual(1.0, schedule.MaxLearningRate);
    }

    [TestMethod]
    public void BadParameterListsAreRejected()
    {
        using var p = new Parameter(zeros(3));
        Assert.ThrowsExactly<ArgumentException>(() => new AdamWOptions().Create(Array.Empty<Parameter>()));
        var duplicate = Assert.ThrowsExactly<ArgumentException>(() => new AdamWOptions().Create(new[] { new ParameterGroup(new[] { p }), new ParameterGroup(new[] { p }) }));
        StringAssert.Contains(duplicate.Message, "more than once");
        using var integer = new Parameter(zeros(3, dtype: ScalarType.Int64), requires_grad: false);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SgdOptions().Create(new[] { integer }));
        StringAssert.Contains(e.Message, "floating-point");
        ExpectOutOfRange(() => new ParameterGroup(new[] { p }, learningRate: -1), "LearningRate", "LearningRate must be >= 0 (was -1).");
    }

    [TestMethod]
    public void ScheduleSettingsAreValidated()
    {
        using var p = new Parameter(zeros(3));
        using Optimizer optimizer = new AdamWOptions().Create(new[] { p });
        ExpectOutOfRange(() => new WarmupCosineSchedule { WarmupSteps = 20 }.Create(optimizer, 10), "warmupSteps", "WarmupSteps must be <= the total number of steps 10 (was 20).");
        ExpectOutOfRange(() => new WarmupLinearSchedule { WarmupRatio = 1.5 }, "WarmupRatio", "WarmupRatio must be between 0 and 1 (was 1.5).");
        ExpectOutOfRange(() => new StepDecaySchedule { StepSize = 0 }, "StepSize", "StepSize must be > 0 (was 0).");
        ExpectOutOfRange(() => new OneCycleSchedule { MaxMomentum = 1 }, "MaxMomentum", "MaxMomentum must be >= 0 and < 1 (was 1).");
        ExpectOutOfRange(() => new OneCycleSchedule { ThreePhase = true, PctStart = 0.6 }.Create(optimizer, 10), "PctStart", "PctStart must be <= 0.5 with ThreePhase");
        ExpectOutOfRange(() => new ConstantSchedule().Create(optimizer, 0), "totalSteps", "totalSteps must be > 0 (was 0).");
    }

    [TestMethod]
    public void ClipRejectsNegativeOrNaN()
    {
        using var p = new Parameter(zeros(3));
        using Optimizer optimizer = new SgdOptions().Create(new[] { p });
        ExpectOutOfRange(() => optimizer.ClipGradNorm(-1), "maxNorm", "maxNorm must be >= 0");
        ExpectOutOfRange(() => optimizer.ClipGradNorm(double.NaN), "maxNorm", "maxNorm must be >= 0");
    }

    [TestMethod]
    public void MismatchedCheckpointsAreRejected()
    {
        using var p = new Parameter(zeros(3));
        using var q = new Parameter(zeros(4));
        using Optimizer adamW = new AdamWOptions().Create(new[] { p });
        using Optimizer sgd = new SgdOptions().Create(new[] { q });
        using var other = new Parameter(zeros(5));
        using Optimizer adamWOther = new AdamWOptions().Create(new[] { other });
        var stream = new MemoryStream();
        adamW.Save(stream);
        stream.Position = 0;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => sgd.Load(stream)).Message, "the checkpoint is of AdamW, this optimizer is SGD");
        stream.Position = 0;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => adamWOther.Load(stream)).Message, "different size");
        Assert.ThrowsExactly<InvalidDataException>(() => adamW.Load(new MemoryStream(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })));

        var schedulerStream = new MemoryStream();
        new ConstantSchedule().Create(adamW, 10).Save(schedulerStream);
        schedulerStream.Position = 0;
        Assert.ThrowsExactly<InvalidDataException>(() => new WarmupCosineSchedule().Create(adamW, 10).Load(schedulerStream));
    }

    [TestMethod]
    public void StateQueriesNameUnknownStates()
    {
        using var p = new Parameter(zeros(3));
        using Optimizer sgd = new SgdOptions { Momentum = 0.9 }.Create(new[] { p });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sgd.GetState(p, "exp_avg")).Message, "momentum_buffer");
        using var stranger = new Parameter(zeros(3));
        Assert.ThrowsExactly<ArgumentException>(() => sgd.GetStepCount(stranger));
    }
}
