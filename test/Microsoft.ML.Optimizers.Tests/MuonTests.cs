using System;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Muon's constraints, checkpoint continuation and bfloat16 Newton–Schulz option.</summary>
[TestClass]
public sealed class MuonTests
{
    // Two matrices share a shape (batched together), one is tall (transposed for the iteration).
    private static readonly long[][] s_shapes = { new long[] { 48, 32 }, new long[] { 48, 32 }, new long[] { 100, 20 }, new long[] { 16, 64 } };

    [TestMethod]
    public void RejectsTensorsThatAreNotMatrices()
    {
        using var vector = new Parameter(zeros(5));
        var e = Assert.ThrowsExactly<ArgumentException>(() => new MuonOptions().Create(new[] { vector }));
        StringAssert.Contains(e.Message, "2-D weights only");
        StringAssert.Contains(e.Message, "[5]");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MuonOptions { NewtonSchulzCoefficients = new[] { 1.0, 2.0 } });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MuonOptions { NewtonSchulzSteps = 0 });
    }

    [TestMethod]
    public void ConvolutionKernelStepsAsItsOutByRestMatrix()
    {
        using DisposeScope scope = NewDisposeScope();
        random.manual_seed(7);
        Tensor init = randn(8, 3, 3, 3);
        using var kernel = new Parameter(init.clone());
        using var matrix = new Parameter(init.reshape(8, 27).clone());
        using Optimizer onKernel = new MuonOptions { LearningRate = 0.02 }.Create(new[] { kernel });
        using Optimizer onMatrix = new MuonOptions { LearningRate = 0.02 }.Create(new[] { matrix });
        for (int step = 0; step < 3; step++)
        {
            Tensor grad = randn(8, 3, 3, 3);
            kernel.grad = grad.clone();
            matrix.grad = grad.reshape(8, 27).clone();
            onKernel.Step();
            onMatrix.Step();
        }
        CollectionAssert.AreEqual(new long[] { 8, 3, 3, 3 }, kernel.shape);
        Assert.IsTrue(kernel.reshape(8, 27).allclose(matrix, rtol: 0, atol: 1e-6));
        Assert.IsFalse(kernel.allclose(init), "the kernel moved");
    }

    [TestMethod]
    public void ResumedRunIsBitIdentical()
    {
        const int before = 4, after = 5, total = before + after;
        using DisposeScope scope = NewDisposeScope();
        Parameter[] run = TestModels.Parameters(s_shapes, ScalarType.Float32, seed: 41);
        Tensor?[][] grads = TestModels.Gradients(s_shapes, ScalarType.Float32, total, seed: 42, skip: (s, t) => (s + t) % 4 == 0);
        Func<MuonOptions> options = () => new MuonOptions { LearningRate = 0.02 };
        using Optimizer optimizer = options().Create(run);
        var checkpoint = new MemoryStream();
        Parameter[]? resumed = null;
        for (int s = 0; s < total; s++)
        {
            if (s == before)
            {
                optimizer.Save(checkpoint);
                resumed = TestModels.Copy(run);
            }
            TestModels.SetGrads(run, grads[s]);
            optimizer.Step();
        }
        using Optimizer fresh = options().Create(resumed!);
        checkpoint.Position = 0;
        fresh.Load(checkpoint);
        for (int s = before; s < total; s++)
        {
            TestModels.SetGrads(resumed!, grads[s]);
            fresh.Step();
        }
        TestModels.AssertBitIdentical(run, resumed!, "Muon");
    }

    [TestMethod]
    public void BFloat16IterationsStayCloseToFullPrecision()
    {
        using DisposeScope scope = NewDisposeScope();
        Parameter[] full = TestModels.Parameters(s_shapes, ScalarType.Float32, seed: 43);
        Parameter[] fast = TestModels.Copy(full);
        Tensor?[][] grads = TestModels.Gradients(s_shapes, ScalarType.Float32, 3, seed: 44);
        using Optimizer a = new MuonOptions { LearningRate = 0.02 }.Create(full);
        using Optimizer b = new MuonOptions { LearningRate = 0.02, NewtonSchulzInBFloat16 = true }.Create(fast);
        for (int s = 0; s < 3; s++)
        {
            TestModels.SetGrads(full, grads[s]);
            TestModels.SetGrads(fast, grads[s]);
            a.Step();
            b.Step();
        }
        bool anyDifferent = false;
        for (int i = 0; i < full.Length; i++)
        {
            double diff = (full[i] - fast[i]).abs().max().ToDouble();
            anyDifferent |= diff > 0;
            // Three steps of lr 0.02 on an orthogonalized update: bfloat16 rounding moves them by far less than a step.
            Assert.IsTrue(diff < 5e-3, $"tensor {i}: bfloat16 iterations moved it {diff} away");
        }
        Assert.IsTrue(anyDifferent, "the bfloat16 option had no effect");
    }
}
