using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// bfloat16 and float16 parameters train on both paths (no golden data: close to a float32 run). This caught libtorch's
/// CPU SGD kernel leaving reduced-precision parameters unchanged.
/// </summary>
[TestClass]
public sealed class ReducedPrecisionTests
{
    [TestMethod]
    [DataRow("BFloat16", true)]
    [DataRow("BFloat16", false)]
    [DataRow("Float16", true)]
    [DataRow("Float16", false)]
    public void HalfPrecisionFollowsFloat32(string dtypeName, bool fused)
    {
        ScalarType dtype = Enum.Parse<ScalarType>(dtypeName);
        using DisposeScope scope = NewDisposeScope();
        foreach (Func<OptimizerOptions> make in new Func<OptimizerOptions>[]
        {
            // eps 1e-8 is 0 in float16, and PyTorch's Adam then divides 0 by 0 where the second moment underflows;
            // the usual float16 advice applies.
            () => new AdamWOptions { LearningRate = 1e-2, Epsilon = 1e-4 },
            () => new SgdOptions { LearningRate = 0.1, Momentum = 0.9 },
        })
        {
            var reference = new Parameter(linspace(-1, 1, 200));
            var half = new Parameter(reference.detach().to(dtype));
            OptimizerOptions options = make();
            options.UseFusedKernels = fused;
            using Optimizer a = make().Create(new[] { reference });
            using Optimizer b = options.Create(new[] { half });
            for (int s = 0; s < 3; s++)
            {
                // Gradients away from 0: (1 - beta2) * g * g underflows float16 for small g, in PyTorch as here.
                reference.grad = reference.detach().sin().add(1.5);
                half.grad = reference.grad.to(dtype);
                a.Step();
                b.Step();
            }
            double diff = (half.to(ScalarType.Float32) - reference).abs().max().item<float>();
            Assert.IsTrue(diff < 0.02, $"{options.AlgorithmName} {dtype}: max difference {diff} from float32");
        }
    }
}
