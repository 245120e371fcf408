using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>The issue-15 optimizers' options reject bad values naming the option, and default to their references'.</summary>
[TestClass]
public sealed class OptimizersV2ValidationTests
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
        ExpectOutOfRange(() => new LambOptions { Beta2 = 1 }, "Beta2", "Beta2 must be >= 0 and < 1 (was 1).");
        ExpectOutOfRange(() => new LambOptions { Epsilon = 0 }, "Epsilon", "Epsilon must be > 0 (was 0).");
        ExpectOutOfRange(() => new LambOptions { MaxGradNorm = -1 }, "MaxGradNorm", "MaxGradNorm must be > 0 (was -1).");
        ExpectOutOfRange(() => new LarsOptions { TrustCoefficient = 0 }, "TrustCoefficient", "TrustCoefficient must be > 0 (was 0).");
        ExpectOutOfRange(() => new LarsOptions { Dampening = 1.5 }, "Dampening", "Dampening must be between 0 and 1 (was 1.5).");
        ExpectOutOfRange(() => new AdanOptions { Beta3 = -0.1 }, "Beta3", "Beta3 must be >= 0 and < 1 (was -0.1).");
        ExpectOutOfRange(() => new AdanOptions { Epsilon = double.NaN }, "Epsilon", "Epsilon must be a finite number (was NaN).");
        ExpectOutOfRange(() => new AdafactorOptions { Beta2Decay = 0.5 }, "Beta2Decay", "Beta2Decay must be <= 0 (was 0.5).");
        ExpectOutOfRange(() => new AdafactorOptions { ClipThreshold = 0.5 }, "ClipThreshold", "ClipThreshold must be >= 1 (was 0.5).");
        ExpectOutOfRange(() => new AdafactorOptions { Epsilon1 = -1 }, "Epsilon1", "Epsilon1 must be >= 0 (was -1).");
        ExpectOutOfRange(() => new ScheduleFreeAdamWOptions { Beta1 = 0 }, "Beta1", "Beta1 must be > 0 and < 1 (was 0).");
        ExpectOutOfRange(() => new ScheduleFreeAdamWOptions { WarmupSteps = -1 }, "WarmupSteps", "WarmupSteps must be >= 0 (was -1).");
        ExpectOutOfRange(() => new SophiaOptions { BatchSize = 0 }, "BatchSize", "BatchSize must be > 0 (was 0).");
        ExpectOutOfRange(() => new SophiaOptions { Rho = -1 }, "Rho", "Rho must be >= 0 (was -1).");
        using var p = new Parameter(zeros(3));
        ExpectOutOfRange(() => new LarsOptions { Nesterov = true }.Create(new[] { p }), "Nesterov", "Nesterov momentum requires Momentum > 0");
        ExpectOutOfRange(() => new LambOptions().Create(new[] { new ParameterGroup(new[] { p }, momentum: 1.0) }), "Beta1", "Beta1 must be >= 0 and < 1 (was 1).");
    }

    [TestMethod]
    public void AdafactorKeepsFactoredStateOnly()
    {
        using var matrix = new Parameter(randn(64, 32));
        using var vector = new Parameter(randn(32));
        using Optimizer optimizer = new AdafactorOptions().Create(new[] { matrix, vector });
        using (var g1 = randn(64, 32)) { matrix.grad = g1; }
        using (var g2 = randn(32)) { vector.grad = g2; }
        optimizer.Step();
        using Tensor? rows = optimizer.GetState(matrix, "row_var");
        using Tensor? cols = optimizer.GetState(matrix, "col_var");
        using Tensor? full = optimizer.GetState(matrix, "variance");
        using Tensor? vectorVariance = optimizer.GetState(vector, "variance");
        CollectionAssert.AreEqual(new long[] { 64, 1 }, rows!.shape);
        CollectionAssert.AreEqual(new long[] { 1, 32 }, cols!.shape);
        Assert.IsNull(full, "a matrix has no full variance");
        CollectionAssert.AreEqual(new long[] { 32 }, vectorVariance!.shape);
    }

    [TestMethod]
    public void ScheduleFreeSwitchesBetweenTrainingAndEvaluationPoints()
    {
        using var p = new Parameter(randn(5, 4));
        using Optimizer optimizer = new ScheduleFreeAdamWOptions { LearningRate = 0.1 }.Create(new[] { p });
        for (int s = 0; s < 3; s++)
        {
            using (var g = randn(5, 4)) { p.grad = g; }
            optimizer.Step();
        }
        using Tensor y = p.detach().clone();
        optimizer.UseEvaluationPoint();
        Assert.AreEqual(0.0, optimizer.GetGroupState(0)["train_mode"]);
        Assert.IsFalse(p.detach().allclose(y), "the evaluation point differs from the training point");
        optimizer.UseEvaluationPoint();   // no-op when already there
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => optimizer.Step());
        StringAssert.Contains(e.Message, "UseTrainingPoint");
        optimizer.UseTrainingPoint();
        Assert.IsTrue(p.detach().allclose(y, rtol: 1e-5, atol: 1e-6), "the round trip returns to the training point");
        optimizer.Step();
        // Other optimizers accept the calls and change nothing.
        using var q = new Parameter(randn(3));
        using Optimizer adamW = new AdamWOptions().Create(new[] { q });
        using Tensor before = q.detach().clone();
        adamW.UseEvaluationPoint();
        Assert.IsTrue(q.detach().allclose(before, rtol: 0, atol: 0));
    }

    [TestMethod]
    public void DefaultsAreTheReferences()
    {
        var lamb = new LambOptions();
        Assert.AreEqual((1e-3, 0.9, 0.999, 1e-6, 0.01, true, true, (double?)1.0, false, false, false),
            (lamb.LearningRate, lamb.Beta1, lamb.Beta2, lamb.Epsilon, lamb.WeightDecay, lamb.BiasCorrection, lamb.GradientAveraging, lamb.MaxGradNorm, lamb.TrustClip, lamb.AlwaysAdapt, lamb.DecoupledDecay));
        var lars = new LarsOptions();
        Assert.AreEqual((1.0, 0.0, 0.0, 0.0, false, 1e-3, 1e-8, false, false),
            (lars.LearningRate, lars.Momentum, lars.Dampening, lars.WeightDecay, lars.Nesterov, lars.TrustCoefficient, lars.Epsilon, lars.TrustClip, lars.AlwaysAdapt));
        var adafactor = new AdafactorOptions();
        Assert.AreEqual((1e-2, -0.8, (double?)null, 1e-3, 1.0, 0.0), (adafactor.LearningRate, adafactor.Beta2Decay, adafactor.Epsilon1, adafactor.Epsilon2, adafactor.ClipThreshold, adafactor.WeightDecay));
        var sf = new ScheduleFreeAdamWOptions();
        Assert.AreEqual((0.0025, 0.9, 0.999, 1e-8, 0.0, 0L, 0.0, 2.0, 0.0), (sf.LearningRate, sf.Beta1, sf.Beta2, sf.Epsilon, sf.WeightDecay, sf.WarmupSteps, sf.R, sf.WeightLrPower, sf.InnerMomentum));
        var sophia = new SophiaOptions();
        Assert.AreEqual((1e-4, 0.965, 0.99, 0.04, 0.1, 5120.0, false), (sophia.LearningRate, sophia.Beta1, sophia.Beta2, sophia.Rho, sophia.WeightDecay, sophia.BatchSize, sophia.Maximize));
        var adan = new AdanOptions();
        Assert.AreEqual((1e-3, 0.98, 0.92, 0.99, 1e-8, 0.0, false), (adan.LearningRate, adan.Beta1, adan.Beta2, adan.Beta3, adan.Epsilon, adan.WeightDecay, adan.NoProx));
    }
}
