using System;
using System.Collections.Generic;
using System.Globalization;
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
/// Parity with the reference implementations of LAMB, LARS, Adan, Schedule-Free AdamW, Muon, Adafactor and SophiaG
/// over golden/optim/optim_v2_traces.json. Each config runs by interpreting its optimizer, kwargs and extra fields;
/// nothing is specific to a config name. Tolerances (issue 15): float32 within 4e-6 of each tensor's largest magnitude
/// plus 1e-7; float64 within 1e-12 (of the largest magnitude when it exceeds 1).
/// </summary>
[TestClass]
public sealed class GoldenOptimizerV2Tests
{
    private static readonly Lazy<JsonDocument> s_golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestData.Golden("optim", "optim_v2_traces.json"))));

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Cases()
    {
        foreach (JsonProperty config in Json.Required(s_golden.Value.RootElement, "configs").EnumerateObject())
        {
            foreach (string dtype in new[] { "float32", "float64" })
            {
                // A config missing one type is a broken file: the case runs and fails on the missing entry.
                yield return new object[] { config.Name, dtype };
            }
        }
    }

    public static string CaseName(MethodInfo method, object[] data) => $"{data[0]} {data[1]}";

    [TestMethod]
    [TestCategory("Golden")]
    public void GoldenFileCoversEveryReferenceOptimizer()
    {
        string[] optimizers = Json.Required(s_golden.Value.RootElement, "configs").EnumerateObject()
            .Select(c => Json.Required(c.Value, "optimizer").GetString()!).Distinct().ToArray();
        CollectionAssert.IsSubsetOf(new[] { "Lamb", "Lars", "Adan", "AdamWScheduleFree", "Muon", "Adafactor", "SophiaG" }, optimizers,
            "golden/optim/optim_v2_traces.json lacks configs of some reference optimizers.");
    }

    [TestMethod]
    [TestCategory("Golden")]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(CaseName))]
    public void MatchesReferenceTrace(string configName, string dtypeName)
    {
        JsonElement root = s_golden.Value.RootElement;
        JsonElement config = Json.Required(Json.Required(root, "configs"), configName);
        string optimizerName = Json.Required(config, "optimizer").GetString()!;
        ScalarType dtype = dtypeName == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        long[][] shapes = Json.Required(root, "shapes").EnumerateArray().Select(Json.Longs).ToArray();
        int steps = Json.Required(root, "steps").GetInt32();
        JsonElement[] init = Json.Required(root, $"init_{dtypeName}").EnumerateArray().ToArray();
        JsonElement[] grads = Json.Required(root, $"grads_{dtypeName}").EnumerateArray().ToArray();
        JsonElement extra = Json.Required(config, "extra");
        JsonElement run = Json.Required(config, dtypeName);
        JsonElement trace = Json.Required(run, "trace");

        using DisposeScope scope = NewDisposeScope();
        Parameter[] parameters = shapes.Select((shape, t) =>
            new Parameter(tensor(Json.Doubles(init[t]), dtype: ScalarType.Float64).to(dtype).reshape(shape))).ToArray();
        OptimizerOptions options = GoldenV2Config.Options(optimizerName, Json.Required(config, "kwargs"));
        GoldenV2Config.ApplyStepArguments(options, extra);
        GoldenV2Config.ApplyNewtonSchulzType(options, extra);
        List<(ParameterGroup Group, int[] Tensors)> groups = GoldenV2Config.Groups(extra, parameters);
        using Optimizer optimizer = options.Create(groups.Select(g => g.Group));

        double[] lrTrace = Json.Doubles(Json.Required(trace, "lr"));
        JsonElement[] paramTrace = Json.Required(trace, "params").EnumerateArray().ToArray();
        JsonElement[]? groupTrace = Json.Optional(trace, "group_state")?.EnumerateArray().ToArray();
        Assert.AreEqual(steps, paramTrace.Length, "trace.params length");
        // Schedule-Free: evaluation point after the listed steps, back to the training point before the next step.
        long[] evalAfter = Json.Optional(extra, "eval_after_steps") is JsonElement e1 ? Json.Longs(e1) : Array.Empty<long>();
        JsonElement[] evalTrace = Json.Optional(trace, "eval_params")?.EnumerateArray().ToArray() ?? Array.Empty<JsonElement>();
        Assert.AreEqual(evalAfter.Length, evalTrace.Length, "trace.eval_params length");
        int evaluations = 0;
        // SophiaG: after the listed steps, the Hessian estimate is refreshed with that step's gradients times a scale.
        long[] hessianAfter = Json.Optional(extra, "hessian_after_steps") is JsonElement h1 ? Json.Longs(h1) : Array.Empty<long>();
        double hessianScale = Json.Optional(extra, "hessian_grad_scale")?.GetDouble() ?? 1.0;
        for (int s = 0; s < steps; s++)
        {
            optimizer.UseTrainingPoint();
            JsonElement[] stepGrads = grads[s].EnumerateArray().ToArray();
            for (int t = 0; t < parameters.Length; t++)
            {
                SetGrad(parameters[t], stepGrads[t], shapes[t], dtype);
            }
            optimizer.Step();
            // The trace's lr is the rate the step used: Schedule-Free's warmup-scheduled one where it keeps it.
            double usedLr = optimizer.GetGroupState(0).TryGetValue("scheduled_lr", out double scheduled) ? scheduled : optimizer.LearningRate;
            Assert.AreEqual(lrTrace[s], usedLr, 1e-15 * lrTrace[s], $"lr at step {s}");
            AssertTensorsClose(parameters, paramTrace[s], dtype, $"params after step {s}");
            if (groupTrace is not null)
            {
                JsonElement[] perGroup = groupTrace[s].EnumerateArray().ToArray();
                for (int g = 0; g < perGroup.Length; g++)
                {
                    AssertGroupCounters(optimizer, g, perGroup[g], $"group {g} after step {s}", all: true);
                }
            }
            if (Array.IndexOf(hessianAfter, (long)s) >= 0)
            {
                Assert.IsInstanceOfType<IHessianEstimating>(optimizer, $"{optimizer.AlgorithmName} takes no Hessian estimate");
                for (int t = 0; t < parameters.Length; t++)
                {
                    SetGrad(parameters[t], stepGrads[t], shapes[t], dtype, hessianScale);
                }
                ((IHessianEstimating)optimizer).UpdateHessian();
            }
            if (Array.IndexOf(evalAfter, (long)s) >= 0)
            {
                optimizer.UseEvaluationPoint();
                AssertTensorsClose(parameters, evalTrace[evaluations++], dtype, $"evaluation-point params after step {s}");
            }
        }

        // Final per-tensor state, keyed by tensor index; tensors outside every group or never given a gradient have none.
        JsonElement finalState = Json.Required(run, "final_state");
        for (int t = 0; t < parameters.Length; t++)
        {
            if (!groups.Any(g => g.Tensors.Contains(t)))
            {
                continue;
            }
            JsonElement? expected = Json.Optional(finalState, t.ToString(CultureInfo.InvariantCulture));
            foreach (string name in optimizer.StateNames)
            {
                using Tensor? actual = optimizer.GetState(parameters[t], name);
                JsonElement? want = expected is JsonElement e ? Json.Optional(e, name) : null;
                if (want is null)
                {
                    Assert.IsNull(actual, $"state {t}.{name} should not exist");
                    continue;
                }
                Assert.IsNotNull(actual, $"state {t}.{name} is missing");
                AssertClose(Values(actual), Json.Doubles(want.Value), dtype, $"final state {t}.{name}");
            }
            if (expected is JsonElement state)
            {
                foreach (JsonProperty entry in state.EnumerateObject())
                {
                    if (entry.Name == "step")
                    {
                        Assert.AreEqual((long)entry.Value.GetDouble(), optimizer.GetStepCount(parameters[t]), $"final state {t}.step");
                    }
                    else if (!optimizer.StateNames.Contains(entry.Name))
                    {
                        Assert.Fail($"final state {t} has '{entry.Name}', which {optimizer.AlgorithmName} does not keep.");
                    }
                }
            }
        }
        JsonElement[] finalGroups = Json.Required(run, "final_groups").EnumerateArray().ToArray();
        Assert.AreEqual(finalGroups.Length, optimizer.ParameterGroups.Count, "final group count");
        for (int g = 0; g < finalGroups.Length; g++)
        {
            LiveParameterGroup live = optimizer.ParameterGroups[g];
            Assert.AreEqual(Json.Required(finalGroups[g], "lr").GetDouble(), live.InitialLearningRate, $"final group {g} lr");
            Assert.AreEqual(Json.Required(finalGroups[g], "weight_decay").GetDouble(), live.WeightDecay, $"final group {g} weight_decay");
            AssertGroupCounters(optimizer, g, finalGroups[g], $"final group {g}", all: false);
        }
    }

    /// <summary>
    /// The group-level state the reference keeps (LAMB's and Adan's <c>step</c>, Schedule-Free's <c>k</c>,
    /// <c>scheduled_lr</c>, <c>lr_max</c>, <c>weight_sum</c>, <c>train_mode</c>) against <see cref="Optimizer.GetGroupState"/>:
    /// a trace entry (<paramref name="all"/>) must exist with us; of a final group, the entries we keep are compared.
    /// </summary>
    private static void AssertGroupCounters(Optimizer optimizer, int group, JsonElement expected, string what, bool all)
    {
        IReadOnlyDictionary<string, double> actual = optimizer.GetGroupState(group);
        foreach (JsonProperty entry in expected.EnumerateObject())
        {
            if (entry.Value.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
            {
                continue;
            }
            if (!actual.TryGetValue(entry.Name, out double value))
            {
                if (all)
                {
                    Assert.Fail($"{what}: {optimizer.AlgorithmName} keeps no group state '{entry.Name}'.");
                }
                continue;
            }
            double want = entry.Value.ValueKind switch
            {
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                _ => entry.Value.GetDouble(),
            };
            Assert.AreEqual(want, value, 1e-14 * Math.Abs(want), $"{what}: {entry.Name}");
        }
    }

    private static void AssertTensorsClose(Parameter[] parameters, JsonElement expected, ScalarType dtype, string what)
    {
        JsonElement[] tensors = expected.EnumerateArray().ToArray();
        Assert.AreEqual(parameters.Length, tensors.Length, $"{what}: tensor count");
        for (int t = 0; t < parameters.Length; t++)
        {
            AssertClose(Values(parameters[t]), Json.Doubles(tensors[t]), dtype, $"{what}, tensor {t}");
        }
    }

    internal static void AssertClose(double[] actual, double[] expected, ScalarType dtype, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        double allowed = dtype == ScalarType.Float64 ? 1e-12 * Math.Max(1, scale) : 4e-6 * scale + 1e-7;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (!(diff <= allowed))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (diff {diff:E3}, allowed {allowed:E3}).");
            }
        }
    }

    private static void SetGrad(Parameter p, JsonElement values, long[] shape, ScalarType dtype, double scale = 1.0)
    {
        if (values.ValueKind == JsonValueKind.Null)
        {
            p.grad = null;
            return;
        }
        using Tensor g = tensor(Json.Doubles(values), dtype: ScalarType.Float64).to(dtype).reshape(shape);
        if (scale != 1.0)
        {
            // The reference multiplies the gradient tensor by a Python float: in the tensor's type.
            using Scalar factor = scale.ToScalar();
            g.mul_(factor);
        }
        p.grad = g;
    }

    private static double[] Values(Tensor t) => GoldenOptimizerTests.Values(t);
}
