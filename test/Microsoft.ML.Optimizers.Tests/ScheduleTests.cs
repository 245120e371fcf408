using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

[TestClass]
public sealed class ScheduleTests
{
    private static Optimizer Sgd(double lr = 0.1, double momentum = 0.9) =>
        new SgdOptions { LearningRate = lr, Momentum = momentum }.Create(new[] { new Parameter(zeros(2)) });

    [TestMethod]
    public void ScheduleFunctions()
    {
        Assert.AreEqual(0.25, Optimizers.ScheduleFunctions.LinearWarmup(0, 4));
        Assert.AreEqual(1.0, Optimizers.ScheduleFunctions.LinearWarmup(3, 4));
        Assert.AreEqual(1.0, Optimizers.ScheduleFunctions.LinearWarmup(10, 0));
        Assert.AreEqual(1.0, Optimizers.ScheduleFunctions.WarmupCosine(4, 4, 12));
        Assert.AreEqual(0.5, Optimizers.ScheduleFunctions.WarmupCosine(8, 4, 12), 1e-15);
        Assert.AreEqual(0.1, Optimizers.ScheduleFunctions.WarmupCosine(12, 4, 12, minRatio: 0.1), 1e-15);
        Assert.AreEqual(0.1, Optimizers.ScheduleFunctions.WarmupCosine(50, 4, 12, minRatio: 0.1), 1e-15, "held after the end");
        Assert.AreEqual(0.5, Optimizers.ScheduleFunctions.WarmupLinear(8, 4, 12));
        Assert.AreEqual(0.0, Optimizers.ScheduleFunctions.WarmupLinear(12, 4, 12));
        Assert.AreEqual(0.25, Optimizers.ScheduleFunctions.StepDecay(9, 4, 0.5));
        Assert.AreEqual(1.0, Optimizers.ScheduleFunctions.StepDecay(3, 4, 0.5));
    }

    [TestMethod]
    public void OneCycleFollowsPyTorchShape()
    {
        const long total = 100;
        (double lr, double momentum) first = Optimizers.ScheduleFunctions.OneCycle(0, total, 1.0);
        Assert.AreEqual(1.0 / 25, first.lr, 1e-15);
        Assert.AreEqual(0.95, first.momentum, 1e-15);
        (double lr, double momentum) peak = Optimizers.ScheduleFunctions.OneCycle(29, total, 1.0);
        Assert.AreEqual(1.0, peak.lr, 1e-15);
        Assert.AreEqual(0.85, peak.momentum, 1e-15);
        (double lr, double momentum) last = Optimizers.ScheduleFunctions.OneCycle(99, total, 1.0);
        Assert.AreEqual(1.0 / 25 / 1e4, last.lr, 1e-15);
        Assert.AreEqual(0.95, last.momentum, 1e-15);
        // Linear annealing: halfway up the warm phase.
        double mid = Optimizers.ScheduleFunctions.OneCycle(29 / 2, total, 1.0, anneal: AnnealStrategy.Linear).LearningRate;
        Assert.AreEqual(0.04 + (1 - 0.04) * (14 / 29.0), mid, 1e-12);
        // Three phases: back to the initial rate at 2 * pct_start * total - 2, then annihilation.
        Assert.AreEqual(0.04, Optimizers.ScheduleFunctions.OneCycle(58, total, 1.0, threePhase: true).LearningRate, 1e-15);
        Assert.AreEqual(0.95, Optimizers.ScheduleFunctions.OneCycle(58, total, 1.0, threePhase: true).Momentum, 1e-15);
        Assert.AreEqual(0.04 / 1e4, Optimizers.ScheduleFunctions.OneCycle(99, total, 1.0, threePhase: true).LearningRate, 1e-15);
    }

    [TestMethod]
    public void SchedulerDrivesOptimizerPerStep()
    {
        using Optimizer optimizer = Sgd(lr: 0.2);
        LearningRateScheduler scheduler = new WarmupCosineSchedule { WarmupSteps = 2 }.Create(optimizer, 10);
        Assert.AreEqual(0, scheduler.Position);
        Assert.AreEqual(0.1, scheduler.CurrentLearningRate, 1e-15, "step 0 of a 2-step warmup");
        scheduler.Step();
        Assert.AreEqual(0.2, optimizer.LearningRate, 1e-15);
        for (int i = 0; i < 20; i++)
        {
            scheduler.Step();
        }
        Assert.AreEqual(0.0, optimizer.LearningRate, 1e-15, "held at the end");
    }

    [TestMethod]
    public void OneCycleCyclesMomentumAndScalesGroups()
    {
        using DisposeScope scope = NewDisposeScope();
        using Optimizer optimizer = new AdamWOptions { LearningRate = 1e-3 }.Create(new[]
        {
            new ParameterGroup(new[] { new Parameter(zeros(2)) }),
            new ParameterGroup(new[] { new Parameter(zeros(2)) }, learningRate: 1e-4),
        });
        LearningRateScheduler scheduler = new OneCycleSchedule { MaxLearningRate = 1e-2 }.Create(optimizer, 20);
        Assert.AreEqual(1e-2 / 25, optimizer.ParameterGroups[0].LearningRate, 1e-15);
        Assert.AreEqual(1e-3 / 25, optimizer.ParameterGroups[1].LearningRate, 1e-16);
        Assert.AreEqual(0.95, optimizer.ParameterGroups[0].Momentum, 1e-15, "beta1 starts at max momentum");
        for (int i = 0; i < 5; i++)
        {
            scheduler.Step();
        }
        Assert.AreEqual(0.85, optimizer.ParameterGroups[1].Momentum, 1e-15, "beta1 at the peak");
        var noCycle = new OneCycleSchedule { CycleMomentum = false };
        using Optimizer sgd = Sgd(lr: 0.5, momentum: 0.7);
        noCycle.Create(sgd, 10);
        Assert.AreEqual(0.7, sgd.ParameterGroups[0].Momentum);
        Assert.AreEqual(0.5 / 25, sgd.LearningRate, 1e-15, "peak defaults to the optimizer's own learning rate");
    }

    [TestMethod]
    public void SchedulerRoundTripsThroughAStream()
    {
        using Optimizer a = Sgd();
        using Optimizer b = Sgd();
        LearningRateScheduler first = new StepDecaySchedule { StepSize = 3, Gamma = 0.1 }.Create(a, 20);
        for (int i = 0; i < 7; i++)
        {
            first.Step();
        }
        var stream = new MemoryStream();
        first.Save(stream);
        stream.Position = 0;
        LearningRateScheduler second = new StepDecaySchedule { StepSize = 3, Gamma = 0.1 }.Create(b, 20);
        second.Load(stream);
        Assert.AreEqual(7, second.Position);
        Assert.AreEqual(first.CurrentLearningRate, second.CurrentLearningRate);
        Assert.AreEqual(0.1 * 0.01, second.CurrentLearningRate, 1e-15);
    }
}
