using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// Train N steps, save optimizer and scheduler, continue M steps; versus a fresh optimizer and scheduler loaded from the
/// checkpoint continuing the same M steps: bit-identical parameters.
/// </summary>
[TestClass]
public sealed class CheckpointTests
{
    private static readonly Dictionary<string, (Func<OptimizerOptions> Options, Func<ScheduleOptions> Schedule)> s_cases = new()
    {
        ["AdamW amsgrad + one-cycle"] = (() => new AdamWOptions { AmsGrad = true }, () => new OneCycleSchedule { MaxLearningRate = 3e-3 }),
        ["Adam L2 + warmup-linear"] = (() => new AdamOptions { WeightDecay = 0.01 }, () => new WarmupLinearSchedule { WarmupRatio = 0.2 }),
        ["SGD nesterov + warmup-cosine"] = (() => new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 }, () => new WarmupCosineSchedule { WarmupSteps = 3, MinLearningRateRatio = 0.1 }),
        ["SGD portable + step decay"] = (() => new SgdOptions { LearningRate = 0.1, Momentum = 0.9, UseFusedKernels = false }, () => new StepDecaySchedule { StepSize = 4, Gamma = 0.5 }),
        ["Lion + constant"] = (() => new LionOptions { WeightDecay = 0.1 }, () => new ConstantSchedule { WarmupSteps = 2 }),
        ["Adan + warmup-cosine"] = (() => new AdanOptions { WeightDecay = 0.02 }, () => new WarmupCosineSchedule { WarmupSteps = 2 }),
        ["LAMB clipped + warmup-linear"] = (() => new LambOptions { LearningRate = 1e-2, MaxGradNorm = 0.5 }, () => new WarmupLinearSchedule { WarmupSteps = 2 }),
        ["Adafactor + warmup-cosine"] = (() => new AdafactorOptions { WeightDecay = 0.01 }, () => new WarmupCosineSchedule { WarmupSteps = 2 }),
        ["Schedule-Free AdamW warmup + constant"] = (() => new ScheduleFreeAdamWOptions { WarmupSteps = 3, WeightDecay = 0.01, InnerMomentum = 0.5 }, () => new ConstantSchedule()),
        ["SophiaG + warmup-cosine"] = (() => new SophiaOptions { LearningRate = 1e-3, Rho = 0.05, BatchSize = 64 }, () => new WarmupCosineSchedule { WarmupSteps = 2 }),
        ["LARS nesterov + constant"] = (() => new LarsOptions { LearningRate = 0.5, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4 }, () => new ConstantSchedule()),
    };

    public static IEnumerable<object[]> Cases() => s_cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ResumedRunIsBitIdentical(string name)
    {
        (Func<OptimizerOptions> makeOptions, Func<ScheduleOptions> makeSchedule) = s_cases[name];
        const int before = 5, after = 6, total = before + after;
        using DisposeScope scope = NewDisposeScope();
        Parameter[] run = TestModels.Parameters(TestModels.MixedShapes, ScalarType.Float32, seed: 31);
        // Some tensors skip some steps, so per-tensor step counts differ when the checkpoint is taken.
        Tensor?[][] grads = TestModels.Gradients(TestModels.MixedShapes, ScalarType.Float32, total, seed: 32, skip: (s, t) => (s * 3 + t) % 5 == 0);

        using Optimizer optimizer = makeOptions().Create(run);
        LearningRateScheduler scheduler = makeSchedule().Create(optimizer, total);
        var optimizerCheckpoint = new MemoryStream();
        var schedulerCheckpoint = new MemoryStream();
        Parameter[]? resumed = null;
        for (int s = 0; s < total; s++)
        {
            if (s == before)
            {
                optimizer.Save(optimizerCheckpoint);
                scheduler.Save(schedulerCheckpoint);
                resumed = TestModels.Copy(run);
            }
            TestModels.SetGrads(run, grads[s]);
            optimizer.Step();
            scheduler.Step();
        }

        using Optimizer fresh = makeOptions().Create(resumed!);
        LearningRateScheduler freshScheduler = makeSchedule().Create(fresh, total);
        optimizerCheckpoint.Position = 0;
        schedulerCheckpoint.Position = 0;
        fresh.Load(optimizerCheckpoint);
        freshScheduler.Load(schedulerCheckpoint);
        Assert.AreEqual((long)before, fresh.StepCount);
        Assert.AreEqual((long)before, freshScheduler.Position);
        for (int s = before; s < total; s++)
        {
            TestModels.SetGrads(resumed!, grads[s]);
            fresh.Step();
            freshScheduler.Step();
        }
        TestModels.AssertBitIdentical(run, resumed!, name);
        Assert.AreEqual(optimizer.StepCount, fresh.StepCount);
        Assert.AreEqual(scheduler.CurrentLearningRate, freshScheduler.CurrentLearningRate);
        Assert.AreEqual(optimizer.ParameterGroups[0].Momentum, fresh.ParameterGroups[0].Momentum);
        for (int i = 0; i < run.Length; i++)
        {
            Assert.AreEqual(optimizer.GetStepCount(run[i]), fresh.GetStepCount(resumed![i]));
        }
    }

    [TestMethod]
    public void LoadingBeforeTheFirstStepRestoresState()
    {
        using DisposeScope scope = NewDisposeScope();
        var p = new Parameter(randn(100));
        using Optimizer source = new AdamWOptions().Create(new[] { p });
        p.grad = randn(100);
        source.Step();
        var stream = new MemoryStream();
        source.Save(stream);
        var q = new Parameter(p.detach().clone());
        using Optimizer target = new AdamWOptions().Create(new[] { q });
        stream.Position = 0;
        target.Load(stream);
        using Tensor? a = source.GetState(p, "exp_avg_sq");
        using Tensor? b = target.GetState(q, "exp_avg_sq");
        Assert.IsTrue(a!.eq(b!).all().item<bool>());
        Assert.AreEqual(1L, target.GetStepCount(q));
    }
}
