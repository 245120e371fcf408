using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>State sizes and the absence of per-step garbage.</summary>
[TestClass]
public sealed class MemoryTests
{
    [TestMethod]
    public void StateHasTheDocumentedNumberOfBuffers()
    {
        Assert.AreEqual(2, Count(new AdamWOptions()));
        Assert.AreEqual(3, Count(new AdamWOptions { AmsGrad = true }));
        Assert.AreEqual(2, Count(new AdamOptions()));
        Assert.AreEqual(1, Count(new SgdOptions { Momentum = 0.9 }));
        Assert.AreEqual(0, Count(new SgdOptions()), "plain SGD keeps no state");
        Assert.AreEqual(1, Count(new LionOptions()));

        static int Count(OptimizerOptions options)
        {
            using DisposeScope scope = NewDisposeScope();
            var p = new Parameter(randn(10, 10));
            using Optimizer optimizer = options.Create(new[] { p });
            p.grad = randn(10, 10);
            optimizer.Step();
            return optimizer.StateNames.Count(name =>
            {
                using Tensor? state = optimizer.GetState(p, name);
                Assert.IsTrue(state is null || state.shape.SequenceEqual(p.shape));
                return state is not null;
            });
        }
    }

    [TestMethod]
    [DataRow("AdamW", true)]
    [DataRow("AdamW", false)]
    [DataRow("SGD", true)]
    [DataRow("SGD", false)]
    [DataRow("Lion", false)]
    public void StepsLeaveNoLiveTensorsBehind(string algorithm, bool fused)
    {
        using DisposeScope scope = NewDisposeScope();
        Parameter[] parameters = TestModels.Parameters(TestModels.MixedShapes, ScalarType.Float32, seed: 51);
        OptimizerOptions options = algorithm switch
        {
            "AdamW" => new AdamWOptions(),
            "SGD" => new SgdOptions { Momentum = 0.9 },
            _ => new LionOptions(),
        };
        options.UseFusedKernels = fused;
        using Optimizer optimizer = options.Create(parameters);
        foreach (Parameter p in parameters)
        {
            p.grad = randn(p.shape);
        }
        optimizer.Step();
        optimizer.ClipGradNorm(1.0);
        optimizer.ZeroGrad();
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int s = 0; s < 5; s++)
        {
            optimizer.ClipGradNorm(1.0);
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        Assert.AreEqual(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "tensors created by Step/ClipGradNorm/ZeroGrad must all be disposed");
    }
}
