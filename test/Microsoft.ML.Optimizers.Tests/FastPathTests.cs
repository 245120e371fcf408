using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// The fused-kernel path and the portable path give bit-identical results in float32 (on tensors large enough to use the
/// fused kernels' vector loops, with skipped gradients and a schedule that changes lr and momentum every step). In float64
/// Adam's square root differs: libtorch's element-wise sqrt (MKL) is not correctly rounded in double, the fused kernel's
/// is; results then agree to within a few ulps.
/// </summary>
[TestClass]
public sealed class FastPathTests
{
    private static readonly Dictionary<string, Func<OptimizerOptions>> s_configs = new()
    {
        ["AdamW"] = () => new AdamWOptions(),
        ["AdamW amsgrad maximize"] = () => new AdamWOptions { AmsGrad = true, Maximize = true, WeightDecay = 0.1 },
        ["AdamW beta1 0.3"] = () => new AdamWOptions { Beta1 = 0.3, Beta2 = 0.9, Epsilon = 1e-6 },
        ["Adam L2"] = () => new AdamOptions { WeightDecay = 0.01 },
        ["Adam L2 maximize"] = () => new AdamOptions { WeightDecay = 0.01, Maximize = true },
        ["SGD"] = () => new SgdOptions { LearningRate = 0.1 },
        ["SGD momentum wd"] = () => new SgdOptions { LearningRate = 0.05, Momentum = 0.9, WeightDecay = 5e-4 },
        ["SGD nesterov maximize"] = () => new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-3, Maximize = true },
        ["SGD dampening"] = () => new SgdOptions { LearningRate = 0.05, Momentum = 0.8, Dampening = 0.3 },
    };

    public static IEnumerable<object[]> Cases() =>
        s_configs.Keys.SelectMany(name => new[] { new object[] { name, "float32" }, new object[] { name, "float64" } });

    public static string CaseName(MethodInfo method, object[] data) => $"{data[0]} {data[1]}";

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(CaseName))]
    public void FusedAndPortablePathsAreBitIdentical(string config, string dtypeName)
    {
        ScalarType dtype = dtypeName == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        using DisposeScope scope = NewDisposeScope();
        Parameter[] fusedParams = TestModels.Parameters(TestModels.MixedShapes, dtype, seed: 3);
        Parameter[] portableParams = TestModels.Copy(fusedParams);
        const int steps = 6;
        Tensor?[][] grads = TestModels.Gradients(TestModels.MixedShapes, dtype, steps, seed: 4, skip: (s, t) => (s + t) % 4 == 3);

        OptimizerOptions fusedOptions = s_configs[config]();
        OptimizerOptions portableOptions = fusedOptions.Clone();
        portableOptions.UseFusedKernels = false;
        using Optimizer fused = fusedOptions.Create(fusedParams);
        using Optimizer portable = portableOptions.Create(portableParams);
        Assert.IsTrue(fused.UsesFusedKernels, "libtorch's fused kernel should be available here");
        Assert.IsFalse(portable.UsesFusedKernels);
        var schedule = new OneCycleSchedule { MaxLearningRate = fusedOptions.LearningRate * 3 };
        LearningRateScheduler fusedSchedule = schedule.Create(fused, steps);
        LearningRateScheduler portableSchedule = schedule.Create(portable, steps);
        for (int s = 0; s < steps; s++)
        {
            TestModels.SetGrads(fusedParams, grads[s]);
            TestModels.SetGrads(portableParams, grads[s]);
            fused.Step();
            portable.Step();
            fusedSchedule.Step();
            portableSchedule.Step();
            if (dtype == ScalarType.Float32)
            {
                TestModels.AssertBitIdentical(portableParams, fusedParams, $"{config} after step {s}");
            }
            else
            {
                for (int i = 0; i < fusedParams.Length; i++)
                {
                    new Tolerance(1e-15, 1e-18).AssertClose(GoldenOptimizerTests.Values(fusedParams[i]), GoldenOptimizerTests.Values(portableParams[i]), $"{config} param {i} after step {s}");
                }
            }
        }
        foreach (string name in fused.StateNames)
        {
            for (int i = 0; i < fusedParams.Length; i++)
            {
                using Tensor? a = fused.GetState(fusedParams[i], name);
                using Tensor? b = portable.GetState(portableParams[i], name);
                Assert.AreEqual(a is null, b is null, $"state {name} of {i}");
                if (a is not null)
                {
                    new Tolerance(dtype == ScalarType.Float32 ? 0 : 1e-15, dtype == ScalarType.Float32 ? 0 : 1e-18)
                        .AssertClose(GoldenOptimizerTests.Values(a), GoldenOptimizerTests.Values(b!), $"state {name} of {i}");
                }
            }
        }
    }
}
