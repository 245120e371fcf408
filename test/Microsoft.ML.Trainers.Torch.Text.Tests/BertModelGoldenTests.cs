using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Eval-mode logits, [CLS] hidden states and the fine-tuning loss trace of the golden checkpoint
/// equal Hugging Face's within 1e-4, driven entirely by <c>golden/bert/expected.json</c>.
/// </summary>
[TestClass]
[TestCategory("Golden")]
public sealed class BertModelGoldenTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Cases => BertGoldenData.CaseRows();

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void LogitsAndClsHiddenStateMatchHuggingFace(int index, string label)
    {
        JsonObject c = BertGoldenData.Case(index);
        BertCheckpoint checkpoint = BertCheckpoint.Load(BertGoldenData.ModelDir);
        using BertForSequenceClassification model = checkpoint.Model;
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        BertBatch batch = checkpoint.Tokenizer.EncodeBatch(new[] { BertGoldenData.Text(c) },
            BertGoldenData.TextPair(c) is string pair ? new[] { pair } : null);
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();
        (Tensor logits, Tensor last) = model.Forward(ids, types, mask);

        AssertClose(BertGoldenData.Doubles(c["logits"]!), logits, $"logits of {label}");
        if (c["last_hidden_cls"] is JsonNode cls)
        {
            AssertClose(BertGoldenData.Doubles(cls), last.select(1, 0), $"[CLS] hidden state of {label}");
        }
    }

    [TestMethod]
    public void PaddedBatchLogitsMatchHuggingFace()
    {
        JsonObject b = BertGoldenData.Batch;
        BertCheckpoint checkpoint = BertCheckpoint.Load(BertGoldenData.ModelDir);
        using BertForSequenceClassification model = checkpoint.Model;
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        (Tensor ids, Tensor types, Tensor mask) = GoldenBatchTensors(b);
        Tensor logits = model.forward(ids, types, mask);

        AssertClose(BertGoldenData.DoubleRows(b["logits"]!).SelectMany(r => r).ToArray(), logits, "batch logits");
    }

    [TestMethod]
    public void FineTuningLossesMatchHuggingFace()
    {
        JsonObject b = BertGoldenData.Batch;
        JsonObject finetune = (JsonObject)(b["finetune"] ?? BertGoldenData.Expected["finetune"])!;
        double[] expected = BertGoldenData.Doubles(finetune["losses"]!);
        long[] labels = BertGoldenData.Ints(finetune["labels"]!).Select(v => (long)v).ToArray();

        // All dropout 0 so that train mode is deterministic, as in the reference run.
        BertCheckpoint checkpoint = BertCheckpoint.Load(BertGoldenData.ModelDir, new BertLoadOptions { Dropout = 0 });
        using BertForSequenceClassification model = checkpoint.Model;
        model.train();
        // This library's AdamW (the one the text trainer uses), with PyTorch's defaults for betas and eps.
        using Microsoft.ML.Optimizers.Optimizer optimizer = new Microsoft.ML.Optimizers.AdamWOptions { LearningRate = 1e-3, WeightDecay = 0.01 }.Create(model.parameters());
        using var scope = NewDisposeScope();
        (Tensor ids, Tensor types, Tensor mask) = GoldenBatchTensors(b);
        Tensor target = tensor(labels);

        var losses = new double[expected.Length];
        for (int step = 0; step < expected.Length; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.ZeroGrad();
            Tensor loss = nn.functional.cross_entropy(model.forward(ids, types, mask), target);
            losses[step] = loss.item<float>();
            loss.backward();
            optimizer.Step();
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], losses[i], Tolerance, $"loss before step {i + 1}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", losses)}]");
        }
    }

    private static (Tensor, Tensor, Tensor) GoldenBatchTensors(JsonObject b)
    {
        int[][] ids = BertGoldenData.IntRows(b["input_ids"]!);
        int[][] mask = BertGoldenData.IntRows(b["attention_mask"]!);
        int[][] types = b["token_type_ids"] is JsonNode t ? BertGoldenData.IntRows(t) : ids.Select(r => new int[r.Length]).ToArray();
        long[] shape = { ids.Length, ids[0].Length };
        Tensor Flat(int[][] rows) => tensor(rows.SelectMany(r => r).Select(v => (long)v).ToArray(), shape);
        return (Flat(ids), Flat(types), Flat(mask));
    }

    internal static void AssertClose(double[] expected, Tensor actual, string what)
    {
        float[] values = actual.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        Assert.AreEqual(expected.Length, values.Length, $"{what}: element count");
        double worst = expected.Zip(values, (e, a) => Math.Abs(e - a)).Max();
        Assert.IsTrue(worst <= Tolerance, $"{what}: max |diff| {worst:g3} > {Tolerance:g1}; expected [{string.Join(", ", expected.Take(8).Select(v => v.ToString("g6")))}...], got [{string.Join(", ", values.Take(8).Select(v => v.ToString("g6")))}...]");
    }
}
