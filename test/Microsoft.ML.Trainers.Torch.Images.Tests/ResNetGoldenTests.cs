using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>
/// Parity with torchvision: golden/resnet holds a torchvision ResNet state dict (float16 safetensors), an input
/// and torchvision's eval-mode logits. Driven by expected.json: its top level is one case, or it lists
/// <c>cases</c>; a case may name its <c>weights</c> file and <c>input</c>/<c>logits</c> tensors, else the
/// folder's only other .safetensors file and the tensors <c>input</c>/<c>logits</c> of expected.safetensors.
/// </summary>
[TestClass]
public sealed class ResNetGoldenTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Cases() =>
        GoldenCase.LoadAll().Select(c => new object[] { c.Name });

    [TestMethod]
    [TestCategory("Golden")]
    [DynamicData(nameof(Cases))]
    public void EvalLogitsMatchTorchvision(string caseName)
    {
        GoldenCase golden = GoldenCase.LoadAll().Single(c => c.Name == caseName);
        using var scope = NewDisposeScope();
        using var checkpoint = new SafetensorsReader(golden.WeightsPath);

        // The topology comes from the checkpoint's names and shapes; expected.json's description must agree.
        ResNetConfig config = ResNetCheckpointTopology.Infer(checkpoint);
        if (golden.NumClasses is int classes)
        {
            Assert.AreEqual(classes, config.NumClasses, "num_classes in expected.json vs the checkpoint's fc.weight");
        }
        if (golden.Block is ResNetBlockKind block)
        {
            Assert.AreEqual(block, config.Block, "block kind in expected.json's arch vs the checkpoint");
        }
        if (golden.Layers is int[] layers)
        {
            CollectionAssert.AreEqual(layers, config.Layers.ToArray(), "layers in expected.json's arch vs the checkpoint");
        }

        using var model = new ResNet(config);
        CheckpointLoadReport report = ModuleCheckpoint.Load(model, checkpoint); // strict: every name and shape must match
        Assert.AreEqual(checkpoint.Tensors.Count, report.Loaded.Count);
        model.eval();

        using var expected = new SafetensorsReader(golden.ExpectedPath);
        Tensor input = expected.ReadTensor(golden.InputTensor, ScalarType.Float32);
        Tensor logits = expected.ReadTensor(golden.LogitsTensor, ScalarType.Float32);
        if (golden.InputShape is long[] inputShape)
        {
            CollectionAssert.AreEqual(inputShape, input.shape, "input shape in expected.json vs expected.safetensors");
        }
        Tensor actual;
        using (no_grad())
        {
            actual = model.forward(input);
        }

        CollectionAssert.AreEqual(logits.shape, actual.shape, "logits shape");
        double maxError = actual.sub(logits).abs().max().item<float>();
        Console.WriteLine($"{caseName}: {config}, max |logit - torchvision| = {maxError:E3}");
        Assert.IsTrue(maxError <= Tolerance, $"{caseName}: max |logit - torchvision| = {maxError:E3} > {Tolerance:E0}");
    }

    [TestMethod]
    [TestCategory("Golden")]
    public void TrainModeUsesBatchStatisticsAndGivesOtherLogits()
    {
        // The golden checkpoint's batch-norm statistics are randomised, so eval mode must matter.
        GoldenCase golden = GoldenCase.LoadAll().First();
        using var scope = NewDisposeScope();
        using var checkpoint = new SafetensorsReader(golden.WeightsPath);
        using var model = new ResNet(ResNetCheckpointTopology.Infer(checkpoint));
        ModuleCheckpoint.Load(model, checkpoint);
        using var expected = new SafetensorsReader(golden.ExpectedPath);
        Tensor input = expected.ReadTensor(golden.InputTensor, ScalarType.Float32);
        Tensor logits = expected.ReadTensor(golden.LogitsTensor, ScalarType.Float32);

        model.train();
        Tensor trainLogits;
        using (no_grad())
        {
            trainLogits = model.forward(input);
        }
        Assert.IsTrue(trainLogits.sub(logits).abs().max().item<float>() > 1e-3, "train mode should not reproduce eval-mode logits");
        Tensor tracked = model.named_buffers().Single(b => b.name == "bn1.num_batches_tracked").buffer;
        long before = checkpoint.ReadTensor("bn1.num_batches_tracked").item<long>();
        Assert.AreEqual(before + 1, tracked.item<long>(), "a train-mode forward counts one batch");
    }

    /// <summary>One parity case described by expected.json.</summary>
    private sealed record GoldenCase(string Name, string WeightsPath, string ExpectedPath, string InputTensor, string LogitsTensor,
        int? NumClasses, ResNetBlockKind? Block, int[]? Layers, long[]? InputShape)
    {
        public static IReadOnlyList<GoldenCase> LoadAll()
        {
            string jsonPath = TestData.Golden("resnet", "expected.json");
            string dir = Path.GetDirectoryName(jsonPath)!;
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
            JsonElement root = doc.RootElement;
            if (root.TryGetProperty("cases", out JsonElement cases) && cases.ValueKind == JsonValueKind.Array)
            {
                return cases.EnumerateArray().Select((c, i) => FromJson(c, root, dir, i)).ToList();
            }
            return new[] { FromJson(root, root, dir, 0) };
        }

        private static GoldenCase FromJson(JsonElement c, JsonElement root, string dir, int index)
        {
            string weights = String(c, "weights") ?? String(root, "weights") ?? OnlyWeightsFile(dir);
            string expected = String(c, "expected") ?? String(root, "expected") ?? "expected.safetensors";
            string? arch = String(c, "arch") ?? String(root, "arch");
            int? classes = Int(c, "num_classes") ?? Int(root, "num_classes");
            ResNetBlockKind? block = null;
            int[]? layers = null;
            Match m = arch is null ? Match.Empty : Regex.Match(arch, @"(BasicBlock|Bottleneck)\s*,\s*\[([\d,\s]+)\]");
            if (m.Success)
            {
                block = m.Groups[1].Value == "Bottleneck" ? ResNetBlockKind.Bottleneck : ResNetBlockKind.Basic;
                layers = m.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            }
            string name = String(c, "name") ?? $"{index}:{Path.GetFileNameWithoutExtension(weights)}";
            return new GoldenCase(name, Path.Combine(dir, weights), Path.Combine(dir, expected),
                String(c, "input_tensor") ?? "input", String(c, "logits_tensor") ?? "logits", classes, block, layers,
                Longs(c, "input_shape") ?? Longs(root, "input_shape"));
        }

        private static string OnlyWeightsFile(string dir)
        {
            string[] files = Directory.GetFiles(dir, "*.safetensors")
                .Where(f => !Path.GetFileName(f).StartsWith("expected", StringComparison.Ordinal)).ToArray();
            if (files.Length != 1)
            {
                throw new InvalidDataException($"'{dir}' should hold exactly one weights .safetensors besides expected*.safetensors, or expected.json should name it ('weights'); found {files.Length}.");
            }
            return Path.GetFileName(files[0]);
        }

        private static string? String(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private static long[]? Longs(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Array
                ? v.EnumerateArray().Select(x => x.GetInt64()).ToArray() : null;

        private static int? Int(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
    }
}
