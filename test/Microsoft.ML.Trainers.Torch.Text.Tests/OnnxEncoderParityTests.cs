using System;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Our import of each ONNX encoder (see <see cref="OnnxEncoders"/>) computes the same <c>last_hidden_state</c> as
/// ONNX Runtime running the original file, on the same token ids: single texts, sentence pairs and a padded batch.
/// </summary>
[TestClass]
public sealed class OnnxEncoderParityTests
{
    private const double Tolerance = 1e-4;

    private static readonly string[] Singles =
    {
        "Hello world!",
        "Congratulations, you have WON a free cruise to the Bahamas. Reply now to claim your prize!",
    };

    private static readonly (string, string)[] Pairs =
    {
        ("How do I reset my password?", "Click 'forgot password' on the sign-in page and follow the e-mail link."),
        ("The meeting moved to 3pm.", "Thanks, I'll update the calendar invite for everyone."),
    };

    private static readonly string[] Ragged =
    {
        "short",
        "A somewhat longer sentence, with punctuation; and numbers like 42 and 3.14.",
        "Unsubscribe here: http://example.com/optout?id=12345 -- this message was sent to you because you asked.",
    };

    public static System.Collections.Generic.IEnumerable<object[]> Encoders() => OnnxEncoders.All();

    [TestMethod]
    [TestCategory("Golden")]
    [DynamicData(nameof(Encoders))]
    public void LastHiddenStateMatchesOnnxRuntime(string name, string modelPath)
    {
        BertCheckpoint checkpoint = BertCheckpoint.Load(modelPath);
        using BertForSequenceClassification model = checkpoint.Model;
        model.eval();
        using var reference = new OnnxRuntimeReference(modelPath);
        BertTextTokenizer tokenizer = checkpoint.Tokenizer;
        int maxLength = Math.Min(64, checkpoint.Config.MaxPositionEmbeddings);

        foreach (string text in Singles)
        {
            Compare(name, $"single text '{text}'", tokenizer.EncodeBatch(new[] { text }, maxLength: maxLength), model, reference);
        }
        foreach ((string first, string second) in Pairs)
        {
            Compare(name, $"pair '{first}' / '{second}'", tokenizer.EncodeBatch(new[] { first }, new[] { second }, maxLength), model, reference);
        }
        BertBatch padded = tokenizer.EncodeBatch(Ragged, maxLength: maxLength);
        Assert.IsTrue(padded.AttentionMask.Contains(0), "the ragged batch must contain padding");
        Compare(name, "padded batch", padded, model, reference);
    }

    private static void Compare(string encoder, string what, BertBatch batch, BertForSequenceClassification model, OnnxRuntimeReference reference)
    {
        float[] expected = reference.LastHiddenState(batch);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();
        Tensor last = model.Bert.LastHiddenState(ids, types, mask).contiguous();
        float[] actual = last.data<float>().ToArray();
        Assert.AreEqual(expected.Length, actual.Length, $"{encoder}, {what}: output sizes differ");
        double maxDiff = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
        }
        Assert.IsTrue(maxDiff <= Tolerance, $"{encoder}, {what}: max |ours - ONNX Runtime| = {maxDiff:g3} > {Tolerance}");
        // Guard against comparing two trivial outputs.
        Assert.IsTrue(expected.Select(Math.Abs).Max() > 0.1, $"{encoder}, {what}: the reference output is degenerate");
    }
}
