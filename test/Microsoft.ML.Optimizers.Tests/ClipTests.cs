using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

[TestClass]
public sealed class ClipTests
{
    [TestMethod]
    public void ClipsToMaxNormAndReturnsPreClipNorm()
    {
        using DisposeScope scope = NewDisposeScope();
        var a = new Parameter(zeros(3));
        var b = new Parameter(zeros(2, 2));
        var c = new Parameter(zeros(5));
        using Optimizer optimizer = new SgdOptions().Create(new[] { a, b, c });
        a.grad = tensor(new float[] { 3, 0, 0 });
        b.grad = tensor(new float[] { 0, 4, 0, 0 }).reshape(2, 2);
        c.grad = null;
        Assert.AreEqual(5.0, optimizer.ClipGradNorm(1.0), 1e-12);
        double after = Math.Sqrt(a.grad!.square().sum().item<float>() + b.grad!.square().sum().item<float>());
        Assert.AreEqual(1.0, after, 1e-6);
        Assert.IsNull(c.grad, "tensors without gradient stay without");
        // Below the limit nothing changes.
        Tensor before = a.grad!.clone();
        Assert.AreEqual(after, optimizer.ClipGradNorm(10.0), 1e-6);
        Assert.IsTrue(a.grad!.eq(before).all().item<bool>());
    }

    [TestMethod]
    public void NoGradientsGiveZero()
    {
        using var p = new Parameter(zeros(3));
        using Optimizer optimizer = new AdamWOptions().Create(new[] { p });
        Assert.AreEqual(0.0, optimizer.ClipGradNorm(1.0));
    }

    [TestMethod]
    public void NormOfManyValuesIsAccumulatedInDouble()
    {
        // 4M float32 values of 1/sqrt(n): the norm is 1; float32 accumulation would be visibly off.
        using DisposeScope scope = NewDisposeScope();
        const long n = 1 << 22;
        var p = new Parameter(zeros(n));
        using Optimizer optimizer = new SgdOptions().Create(new[] { p });
        p.grad = full(n, (float)(1 / Math.Sqrt(n)));
        Assert.AreEqual(1.0, optimizer.ClipGradNorm(double.PositiveInfinity), 1e-7);
    }
}
