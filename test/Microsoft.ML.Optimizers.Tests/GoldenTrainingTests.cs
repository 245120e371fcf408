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
/// End-to-end training parity with PyTorch over golden/train/train_traces.json: an MLP and a CNN with BatchNorm, fixed
/// initial weights (loaded by PyTorch state_dict keys) and fixed batch order; per-step losses and final weights (and
/// BatchNorm statistics, and eval-mode logits where given) within 1e-5.
/// </summary>
[TestClass]
public sealed class GoldenTrainingTests
{
    /// <summary>
    /// The optimizer of each run, as documented in golden/README.md (the traces file does not record it).
    /// A run missing here fails with a message saying so.
    /// </summary>
    private static readonly Dictionary<string, Func<OptimizerOptions>> s_runOptimizers = new()
    {
        ["mlp_adamw"] = () => new AdamWOptions { LearningRate = 1e-2, WeightDecay = 0.01 },
        ["mlp_sgdm_nesterov"] = () => new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
        ["cnn_adamw"] = () => new AdamWOptions { LearningRate = 1e-2, WeightDecay = 0.05 },
        ["cnn_sgdm"] = () => new SgdOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-4 },
    };

    private static readonly Lazy<JsonDocument> s_golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestData.Golden("train", "train_traces.json"))));

    public static IEnumerable<object[]> Runs()
    {
        foreach (JsonProperty run in Json.Required(s_golden.Value.RootElement, "runs").EnumerateObject())
        {
            yield return new object[] { run.Name, true, false };
            yield return new object[] { run.Name, false, true };
        }
    }

    public static string RunName(MethodInfo method, object[] data) =>
        $"{data[0]} {((bool)data[1] ? "fused" : "portable")} {((bool)data[2] ? "module.zero_grad" : "optimizer.ZeroGrad")}";

    [TestMethod]
    [TestCategory("Golden")]
    [DynamicData(nameof(Runs), DynamicDataDisplayName = nameof(RunName))]
    public void TrainingMatchesPyTorch(string runName, bool fused, bool moduleZeroGrad)
    {
        JsonElement root = s_golden.Value.RootElement;
        JsonElement run = Json.Required(Json.Required(root, "runs"), runName);
        if (!s_runOptimizers.TryGetValue(runName, out Func<OptimizerOptions>? makeOptions))
        {
            Assert.Fail($"Run '{runName}' has no optimizer in s_runOptimizers; add the one golden/README.md documents.");
            return;
        }
        JsonElement init = Json.Required(run, "init");
        bool isCnn = Json.Optional(init, "1.running_mean") is not null;
        int epochs = Json.Required(root, "epochs").GetInt32();
        double[] losses = Json.Doubles(Json.Required(run, "losses"));

        using DisposeScope scope = NewDisposeScope();
        Tensor inputs;
        Tensor labels;
        nn.Module<Tensor, Tensor> model;
        // Every layer's shape comes from this run's state dict (tensors are stored flat): a bias or norm weight gives a
        // layer's outputs, and its weight's length divided by them gives its inputs.
        int classes;
        if (isCnn)
        {
            // The images are single-channel (flat side x side), so the convolution's weight is channels x 1 x k x k.
            int channels = Json.Required(init, "1.weight").GetArrayLength();
            int kernel = SquareSide(Length(init, "0.weight") / (double)channels, "0.weight");
            (classes, int headInputs) = LinearShape(init, "5");
            Assert.AreEqual(channels, headInputs, "the head '5' reads the pooled channels of batch norm '1'");
            long[] labelValues = Json.Longs(Json.Required(root, "image_labels"));
            int count = labelValues.Length;
            float[] pixels = Json.Floats(Json.Required(root, "images"));
            int side = SquareSide(pixels.Length / (double)count, "images");
            inputs = tensor(pixels).reshape(count, 1, side, side);
            labels = tensor(labelValues);
            model = nn.Sequential(
                ("0", nn.Conv2d(1, channels, kernel, padding: kernel / 2, bias: false)),
                ("1", nn.BatchNorm2d(channels)),
                ("2", nn.ReLU()),
                ("3", nn.AdaptiveAvgPool2d(1)),
                ("4", nn.Flatten()),
                ("5", nn.Linear(channels, classes)));
        }
        else
        {
            (int hidden, int features) = LinearShape(init, "0");
            (classes, int headInputs) = LinearShape(init, "2");
            Assert.AreEqual(hidden, headInputs, "the head '2' reads the hidden layer '0'");
            long[] labelValues = Json.Longs(Json.Required(root, "y"));
            inputs = tensor(Json.Floats(Json.Required(root, "X"))).reshape(labelValues.Length, features);
            labels = tensor(labelValues);
            model = nn.Sequential(("0", nn.Linear(features, hidden)), ("1", nn.ReLU()), ("2", nn.Linear(hidden, classes)));
        }
        LoadState(model, init);
        long examples = labels.shape[0];
        long batch = examples * epochs / losses.Length;
        Assert.AreEqual(losses.Length, epochs * (int)Math.Ceiling(examples / (double)batch), "batch size derived from the loss count");

        OptimizerOptions options = makeOptions();
        options.UseFusedKernels = fused;
        using Optimizer optimizer = options.Create(model.parameters());
        var tolerance = new Tolerance(1e-5, 1e-5);
        int step = 0;
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (long start = 0; start < examples; start += batch)
            {
                using DisposeScope stepScope = NewDisposeScope();
                long length = Math.Min(batch, examples - start);
                if (moduleZeroGrad)
                {
                    model.zero_grad();
                }
                else
                {
                    optimizer.ZeroGrad();
                }
                Tensor loss = nn.functional.cross_entropy(model.forward(inputs.narrow(0, start, length)), labels.narrow(0, start, length));
                loss.backward();
                optimizer.Step();
                tolerance.AssertClose(new[] { loss.item<float>() * 1.0 }, new[] { losses[step] }, $"loss at step {step}");
                step++;
            }
        }

        Dictionary<string, Tensor> state = model.state_dict();
        foreach (JsonProperty entry in Json.Required(run, "final").EnumerateObject())
        {
            Assert.IsTrue(state.ContainsKey(entry.Name), $"model has no '{entry.Name}'");
            tolerance.AssertClose(GoldenOptimizerTests.Values(state[entry.Name]), Json.Doubles(entry.Value), $"final {entry.Name}");
        }
        if (Json.Optional(run, "eval_logits_first4") is JsonElement evalLogits)
        {
            model.eval();
            using (no_grad())
            {
                double[] expected = Json.Doubles(evalLogits);
                long rows = expected.Length / classes;
                Tensor logits = model.forward(inputs.narrow(0, 0, rows));
                tolerance.AssertClose(GoldenOptimizerTests.Values(logits), expected, "eval logits");
            }
        }
    }

    /// <summary>A Linear layer's (outputs, inputs) from the flat lengths of its bias and weight in the state dict.</summary>
    private static (int Outputs, int Inputs) LinearShape(JsonElement state, string layer)
    {
        int outputs = Length(state, layer + ".bias");
        int weight = Length(state, layer + ".weight");
        Assert.AreEqual(0, weight % outputs, $"'{layer}.weight' has {weight} values, not a multiple of the {outputs} outputs of '{layer}.bias'");
        return (outputs, weight / outputs);
    }

    private static int Length(JsonElement state, string name) => Json.Required(state, name).GetArrayLength();

    private static int SquareSide(double area, string what)
    {
        int side = (int)Math.Round(Math.Sqrt(area));
        Assert.AreEqual(area, side * (double)side, $"{what}: {area} values per channel are not a square");
        return side;
    }

    private static void LoadState(nn.Module model, JsonElement init)
    {
        Dictionary<string, Tensor> state = model.state_dict();
        using var noGrad = no_grad();
        foreach (JsonProperty entry in init.EnumerateObject())
        {
            Assert.IsTrue(state.TryGetValue(entry.Name, out Tensor? target), $"model has no '{entry.Name}'");
            using Tensor source = tensor(Json.Doubles(entry.Value), dtype: ScalarType.Float64).to(target!.dtype).reshape(target.shape);
            target.copy_(source);
        }
    }
}
