using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// Parity with PyTorch's optimizers over golden/optim/optim_traces.json. Every config in the file runs by interpreting
/// its optimizer, kwargs and extra fields; nothing is specific to a config name, so any file of the same schema runs.
/// </summary>
[TestClass]
public sealed class GoldenOptimizerTests
{
    private static readonly Lazy<JsonDocument> s_golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestData.Golden("optim", "optim_traces.json"))));

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Cases()
    {
        JsonElement configs = Json.Required(s_golden.Value.RootElement, "configs");
        foreach (JsonProperty config in configs.EnumerateObject())
        {
            foreach (string dtype in new[] { "float32", "float64" })
            {
                if (Json.Optional(config.Value, dtype) is null)
                {
                    continue;
                }
                foreach (bool fused in new[] { true, false })
                {
                    yield return new object[] { config.Name, dtype, fused };
                }
            }
        }
    }

    public static string CaseName(MethodInfo method, object[] data) =>
        $"{data[0]} {data[1]} {((bool)data[2] ? "fused" : "portable")}";

    [TestMethod]
    [TestCategory("Golden")]
    public void GoldenFileHasConfigsForBothTypes()
    {
        Assert.IsTrue(Cases().Count() >= 4, "golden/optim/optim_traces.json has no usable configs.");
    }

    [TestMethod]
    [TestCategory("Golden")]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(CaseName))]
    public void MatchesPyTorchTrace(string configName, string dtypeName, bool fused)
    {
        JsonElement root = s_golden.Value.RootElement;
        JsonElement config = Json.Required(Json.Required(root, "configs"), configName);
        ScalarType dtype = dtypeName == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        Tolerance tolerance = Tolerance.For(dtype);
        var exact = new Tolerance(1e-12, 0);
        long[][] shapes = Json.Required(root, "shapes").EnumerateArray().Select(Json.Longs).ToArray();
        int steps = Json.Required(root, "steps").GetInt32();
        JsonElement[] init = Json.Required(root, $"init_{dtypeName}").EnumerateArray().ToArray();
        JsonElement[] grads = Json.Required(root, $"grads_{dtypeName}").EnumerateArray().ToArray();
        JsonElement extra = Json.Optional(config, "extra") ?? default;
        JsonElement trace = Json.Required(Json.Required(config, dtypeName), "trace");
        JsonElement finalState = Json.Required(Json.Required(config, dtypeName), "final_state");

        using DisposeScope scope = NewDisposeScope();
        Parameter[] parameters = shapes.Select((shape, t) =>
            new Parameter(tensor(Json.Doubles(init[t]), dtype: ScalarType.Float64).to(dtype).reshape(shape))).ToArray();

        OptimizerOptions options = GoldenConfig.Options(Json.Required(config, "optimizer").GetString()!, Json.Required(config, "kwargs"));
        options.UseFusedKernels = fused;
        List<ParameterGroup> groups = GoldenConfig.Groups(extra, parameters);
        // PyTorch numbers state by position in the groups, not by tensor.
        Parameter[] stateOrder = groups.SelectMany(g => g.Parameters).ToArray();
        using Optimizer optimizer = options.Create(groups);
        if (!fused)
        {
            Assert.IsFalse(optimizer.UsesFusedKernels, "the portable path was asked for");
        }
        LearningRateScheduler? scheduler = GoldenConfig.Schedule(extra)?.Create(optimizer, GoldenConfig.ScheduleTotalSteps(extra, steps));
        double? clip = Json.Optional(extra, "clip")?.GetDouble();

        double[] lrTrace = Json.Doubles(Json.Required(trace, "lr"));
        double[] momentumTrace = Json.Doubles(Json.Required(trace, "momentum"));
        double[] normTrace = Json.Doubles(Json.Required(trace, "grad_norm"));
        JsonElement[] paramTrace = Json.Required(trace, "params").EnumerateArray().ToArray();
        long identical = 0, total = 0;
        for (int s = 0; s < steps; s++)
        {
            exact.AssertClose(new[] { optimizer.LearningRate }, new[] { lrTrace[s] }, $"lr at step {s}");
            exact.AssertClose(new[] { optimizer.ParameterGroups[0].Momentum }, new[] { momentumTrace[s] }, $"momentum at step {s}");
            JsonElement[] stepGrads = grads[s].EnumerateArray().ToArray();
            for (int t = 0; t < parameters.Length; t++)
            {
                // Alternate between handing the optimizer fresh gradient tensors and writing into the existing ones,
                // so both the copy-in path and the in-place (view) path are exercised.
                SetGrad(parameters[t], stepGrads[t], shapes[t], dtype, inPlace: s % 2 == 1);
            }
            if (clip is double maxNorm)
            {
                double norm = optimizer.ClipGradNorm(maxNorm);
                tolerance.AssertClose(new[] { norm }, new[] { normTrace[s] }, $"grad norm at step {s}");
            }
            optimizer.Step();
            scheduler?.Step();
            JsonElement[] expected = paramTrace[s].EnumerateArray().ToArray();
            for (int t = 0; t < parameters.Length; t++)
            {
                double[] actual = Values(parameters[t]);
                double[] want = Json.Doubles(expected[t]);
                tolerance.AssertClose(actual, want, $"param {t} after step {s}");
                identical += actual.Zip(want).Count(x => x.First == x.Second);
                total += want.Length;
            }
        }

        for (int i = 0; i < stateOrder.Length; i++)
        {
            Parameter p = stateOrder[i];
            JsonElement? expectedState = Json.Optional(finalState, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (string name in optimizer.StateNames)
            {
                JsonElement? want = expectedState is JsonElement e ? Json.Optional(e, name) : null;
                using Tensor? actual = optimizer.GetState(p, name);
                if (want is null)
                {
                    Assert.IsNull(actual, $"state {i}.{name} should not exist");
                    continue;
                }
                Assert.IsNotNull(actual, $"state {i}.{name} is missing");
                tolerance.AssertClose(Values(actual), Json.Doubles(want.Value), $"final state {i}.{name}");
            }
            if (expectedState is JsonElement state && Json.Optional(state, "step") is JsonElement step)
            {
                Assert.AreEqual((long)step.GetDouble(), optimizer.GetStepCount(p), $"final state {i}.step");
            }
        }
        TestContext.WriteLine($"{configName} {dtypeName} {(fused ? "fused" : "portable")}: {identical}/{total} parameter values bit-identical to PyTorch.");
    }

    private static void SetGrad(Parameter p, JsonElement values, long[] shape, ScalarType dtype, bool inPlace)
    {
        if (values.ValueKind == JsonValueKind.Null)
        {
            p.grad = null;
            return;
        }
        using Tensor g = tensor(Json.Doubles(values), dtype: ScalarType.Float64).to(dtype).reshape(shape);
        using Tensor? existing = p.grad;
        if (inPlace && existing is not null)
        {
            using (no_grad())
            {
                existing.copy_(g);
            }
        }
        else
        {
            p.grad = g;
        }
    }

    internal static double[] Values(Tensor t)
    {
        using Tensor wide = t.detach().to(ScalarType.Float64).cpu().contiguous();
        return wide.data<double>().ToArray();
    }
}
