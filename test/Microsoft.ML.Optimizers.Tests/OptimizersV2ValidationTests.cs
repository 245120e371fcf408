using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
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
        using var p = new Parameter(zeros(3));
        ExpectOutOfRange(() => new LarsOptions { Nesterov = true }.Create(new[] { p }), "Nesterov", "Nesterov momentum requires Momentum > 0");
        ExpectOutOfRange(() => new LambOptions().Create(new[] { new ParameterGroup(new[] { p }, momentum: 1.0) }), "Beta1", "Beta1 must be >= 0 and < 1 (was 1).");
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
        var adan = new AdanOptions();
        Assert.AreEqual((1e-3, 0.98, 0.92, 0.99, 1e-8, 0.0, false), (adan.LearningRate, adan.Beta1, adan.Beta2, adan.Beta3, adan.Epsilon, adan.WeightDecay, adan.NoProx));
    }
}
