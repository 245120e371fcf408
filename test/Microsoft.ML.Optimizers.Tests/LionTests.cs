using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Lion (no PyTorch reference in torch.optim): against a plain element-wise float64 implementation of the paper.</summary>
[TestClass]
public sealed class LionTests
{
    [TestMethod]
    [DataRow(false, 0.0)]
    [DataRow(false, 0.1)]
    [DataRow(true, 0.1)]
    public void MatchesReferenceImplementation(bool maximize, double weightDecay)
    {
        using DisposeScope scope = NewDisposeScope();
        const double lr = 1e-2, beta1 = 0.9, beta2 = 0.99;
        const int n = 1000, steps = 5;
        var generator = new Generator(41);
        var p = new Parameter(randn(new long[] { n }, ScalarType.Float64, generator: generator));
        double[] reference = p.data<double>().ToArray();
        double[] m = new double[n];
        using Optimizer optimizer = new LionOptions { LearningRate = lr, WeightDecay = weightDecay, Maximize = maximize }.Create(new[] { p });
        Assert.AreEqual(1, optimizer.StateNames.Count, "Lion keeps one state buffer");
        for (int s = 0; s < steps; s++)
        {
            Tensor g = randn(new long[] { n }, ScalarType.Float64, generator: generator);
            double[] grad = g.data<double>().ToArray();
            p.grad = g;
            optimizer.Step();
            for (int i = 0; i < n; i++)
            {
                double gi = maximize ? -grad[i] : grad[i];
                reference[i] *= 1 - lr * weightDecay;
                double c = m[i] * beta1 + gi * (1 - beta1);
                reference[i] += -lr * Math.Sign(c);
                m[i] = m[i] * beta2 + gi * (1 - beta2);
            }
            new Tolerance(1e-12, 1e-14).AssertClose(p.data<double>().ToArray(), reference, $"Lion step {s}");
        }
        using Tensor? state = optimizer.GetState(p, "exp_avg");
        new Tolerance(1e-12, 1e-14).AssertClose(state!.data<double>().ToArray(), m, "exp_avg");
    }
}
