using System.IO;
using System.Text;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Everything a saved model needs - configuration JSON, vocabulary, tokenizer settings and safetensors
/// weights - recreates identical predictions (the pieces the trainer writes into the ML.NET zip).
/// </summary>
[TestClass]
public sealed class PersistenceTests
{
    [TestMethod]
    public void BertRoundTripsThroughConfigVocabularySettingsAndWeights()
    {
        BertCheckpoint original = BertCheckpoint.Load(BertGoldenData.ModelDir, new BertLoadOptions { Labels = new[] { "ham", "spam" }, Generator = new Generator(3) });
        using BertForSequenceClassification model = original.Model;
        string config = model.Config.ToJson();
        string settings = original.Tokenizer.Settings.ToJson();
        var vocabulary = new MemoryStream();
        original.Tokenizer.SaveVocabulary(vocabulary);
        var weights = new MemoryStream();
        ModuleCheckpoint.Save(model, weights);

        vocabulary.Position = 0;
        weights.Position = 0;
        BertTextTokenizer tokenizer = BertTextTokenizer.Create(vocabulary, BertTokenizerSettings.FromJson(settings));
        using var restored = new BertForSequenceClassification(BertConfig.FromJson(config, "saved config"));
        ModuleCheckpoint.Load(restored, weights, "saved weights");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        restored.eval();
        string[] texts = { "Click here now to WIN free money!!!", "the plot is good" };
        (Tensor i1, Tensor t1, Tensor m1) = original.Tokenizer.EncodeBatch(texts).ToTensors();
        (Tensor i2, Tensor t2, Tensor m2) = tokenizer.EncodeBatch(texts).ToTensors();
        Assert.IsTrue(i1.allclose(i2, rtol: 0, atol: 0));
        Assert.IsTrue(model.forward(i1, t1, m1).allclose(restored.forward(i2, t2, m2), rtol: 0, atol: 0));
    }

    [TestMethod]
    public void FastTextRoundTripsThroughOptionsAndWeights()
    {
        var options = new FastTextOptions { Buckets = 4096, EmbeddingDim = 8, HiddenSize = 4, CharNgramMinLength = 2, CharNgramMaxLength = 4 };
        using var model = new FastTextClassifier(options, 3, new Generator(5));
        using (no_grad())
        {
            // The fresh head is all zeros; give it values so that the comparison means something.
            foreach (var p in model.DenseParameters())
            {
                p.normal_(0, 1, new Generator(6));
            }
        }
        var weights = new MemoryStream();
        ModuleCheckpoint.Save(model, weights);
        string json = options.ToJson();

        weights.Position = 0;
        FastTextOptions restoredOptions = FastTextOptions.FromJson(json);
        using var restored = new FastTextClassifier(restoredOptions, 3);
        ModuleCheckpoint.Load(restored, weights, "saved weights");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        restored.eval();
        string?[] texts = { "free money", null, "meeting at noon" };
        (Tensor a, Tensor b) = new FastTextFeaturizer(options).Batch(texts);
        (Tensor c, Tensor d) = new FastTextFeaturizer(restoredOptions).Batch(texts);
        Assert.IsTrue(model.forward(a, b).allclose(restored.forward(c, d), rtol: 0, atol: 0));
    }
}
