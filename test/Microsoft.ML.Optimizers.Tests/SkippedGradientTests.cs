using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Tensors without a gradient are skipped entirely, and zeroing gradients either way stays correct.</summary>
[TestClass]
public sealed class SkippedGradientTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void TensorWithoutGradIsUntouched(bool fused)
    {
        using DisposeScope scope = NewDisposeScope();
        var a = new Parameter(randn(200));
        var b = new Parameter(randn(300));
        Tensor before = b.detach().clone();
        using Optimizer optimizer = new AdamWOptions { WeightDecay = 0.1, UseFusedKernels = fused }.Create(new[] { a, b });
        for (int s = 0; s < 3; s++)
        {
            a.grad = randn(200);
            b.grad = null;
            optimizer.Step();
        }
        Assert.IsTrue(b.eq(before).all().item<bool>(), "no decay, no update");
        Assert.AreEqual(0L, optimizer.GetStepCount(b));
        Assert.AreEqual(3L, optimizer.GetStepCount(a));
        Assert.IsNull(optimizer.GetState(b, "exp_avg"), "no state before the tensor's first step");
        Assert.AreEqual(3L, optimizer.StepCount);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void SkippedTensorKeepsItsOwnStepCount(bool fused)
    {
        // A tensor that sat out some steps must get the bias correction of its own step count: it matches an optimizer
        // that only ever saw the steps where it had a gradient.
        using DisposeScope scope = NewDisposeScope();
        long[][] shapes = { new long[] { 130 }, new long[] { 70, 3 } };
        Parameter[] both = TestModels.Parameters(shapes, ScalarType.Float32, seed: 21);
        Parameter[] alone = TestModels.Copy(both);
        Tensor?[][] grads = TestModels.Gradients(shapes, ScalarType.Float32, 8, seed: 22, skip: (s, t) => t == 1 && s % 3 == 0);
        using Optimizer together = new AdamWOptions { UseFusedKernels = fused }.Create(both);
        using Optimizer solo = new AdamWOptions { UseFusedKernels = fused }.Create(new[] { alone[1] });
        for (int s = 0; s < grads.Length; s++)
        {
            TestModels.SetGrads(both, grads[s]);
            together.Step();
            if (grads[s][1] is not null)
            {
                TestModels.SetGrads(new[] { alone[1] }, new[] { grads[s][1] });
                solo.Step();
            }
        }
        TestModels.AssertBitIdentical(new[] { alone[1] }, new[] { both[1] }, "skipping tensor");
        Assert.AreEqual(solo.GetStepCount(alone[1]), together.GetStepCount(both[1]));
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void ModuleZeroGradAndOptimizerZeroGradTrainIdentically(bool fused)
    {
        Parameter[] Train(bool moduleZeroGrad)
        {
            using DisposeScope scope = NewDisposeScope();
            manual_seed(5);
            var model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3));
            using Optimizer optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, UseFusedKernels = fused }.Create(model.parameters());
            var generator = new Generator(9);
            for (int s = 0; s < 5; s++)
            {
                using DisposeScope step = NewDisposeScope();
                if (moduleZeroGrad)
                {
                    model.zero_grad();
                }
                else
                {
                    optimizer.ZeroGrad();
                }
                Tensor x = randn(new long[] { 16, 10 }, generator: generator);
                Tensor y = randint(3, new long[] { 16 }, generator: generator);
                nn.functional.cross_entropy(model.forward(x), y).backward();
                optimizer.Step();
            }
            return model.parameters().Select(p => { var copy = new Parameter(p.detach().clone()); copy.MoveToOuterDisposeScope(); return copy; }).ToArray();
        }
        using DisposeScope outer = NewDisposeScope();
        TestModels.AssertBitIdentical(Train(moduleZeroGrad: false), Train(moduleZeroGrad: true), "module.zero_grad() vs optimizer.ZeroGrad()");
    }

    [TestMethod]
    public void UnusedParameterIsSkippedAfterSetToNoneButDecayedAfterZeroing()
    {
        using DisposeScope scope = NewDisposeScope();
        var used = new Parameter(ones(4));
        var unused = new Parameter(ones(4));
        using Optimizer optimizer = new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.5 }.Create(new[] { used, unused });
        used.sum().backward();
        unused.sum().backward();
        optimizer.Step();
        Tensor afterFirst = unused.detach().clone();

        optimizer.ZeroGrad(setToNone: true);
        used.sum().backward();
        optimizer.Step();
        Assert.IsTrue(unused.eq(afterFirst).all().item<bool>(), "set to none: skipped");
        Assert.AreEqual(1L, optimizer.GetStepCount(unused));

        optimizer.ZeroGrad();
        Assert.IsNull(unused.grad, "ZeroGrad keeps null gradients null");
        unused.sum().backward();
        optimizer.ZeroGrad();
        Assert.AreEqual(0f, unused.grad!.abs().sum().item<float>(), "ZeroGrad zeroes existing gradients");
        used.sum().backward();
        optimizer.Step();
        Assert.IsFalse(unused.eq(afterFirst).all().item<bool>(), "zero gradient: decayed and moved by its momentum, as in PyTorch");
        Assert.AreEqual(2L, optimizer.GetStepCount(unused));
    }

    [TestMethod]
    public void ParametersAreViewsOfTheOptimizersBuffer()
    {
        using DisposeScope scope = NewDisposeScope();
        var model = nn.Linear(3, 2);
        Tensor weightBefore = model.weight!.detach().clone();
        using Optimizer optimizer = new SgdOptions { LearningRate = 1 }.Create(model.parameters());
        Assert.IsTrue(model.weight!.eq(weightBefore).all().item<bool>(), "creating the optimizer keeps parameter values");
        model.forward(ones(1, 3)).sum().backward();
        optimizer.Step();
        Assert.IsTrue(model.weight!.eq(weightBefore - 1).all().item<bool>(), "the update lands in the module's own parameter");
    }
}
