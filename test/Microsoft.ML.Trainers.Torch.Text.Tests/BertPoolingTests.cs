using System.IO;
using System.Linq;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>The classifier's pooling: mean over the attention mask and [CLS] alone, against a hand computation; the config key.</summary>
[TestClass]
public sealed class BertPoolingTests
{
    [TestMethod]
    [DataRow(BertPooling.Mean)]
    [DataRow(BertPooling.Cls)]
    public void LogitsAreTheClassifierOfTheHandPooledStates(BertPooling pooling)
    {
        BertCheckpoint checkpoint = BertCheckpoint.Load(BertGoldenData.ModelDir, new BertLoadOptions { Pooling = pooling });
        using BertForSequenceClassification model = checkpoint.Model;
        Assert.AreEqual(pooling, model.Config.Pooling);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Rows of different lengths, so the mask matters.
        BertBatch batch = checkpoint.Tokenizer.EncodeBatch(new[] { "the movie is great", "i hate the acting, but the story was fun and the plot was good" });
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();
        (Tensor logits, Tensor last) = model.Forward(ids, types, mask);

        int n = batch.BatchSize, length = batch.SequenceLength, hidden = model.Config.HiddenSize, labels = model.Config.NumLabels;
        float[] states = last.contiguous().data<float>().ToArray();
        float[] w = model.Classifier.weight!.contiguous().data<float>().ToArray();
        float[] b = model.Classifier.bias!.data<float>().ToArray();
        float[] actual = logits.contiguous().data<float>().ToArray();
        for (int row = 0; row < n; row++)
        {
            var pooled = new double[hidden];
            int count = 0;
            for (int t = 0; t < length; t++)
            {
                bool use = pooling == BertPooling.Cls ? t == 0 : batch.AttentionMask[row * length + t] == 1;
                if (!use)
                {
                    continue;
                }
                count++;
                for (int h = 0; h < hidden; h++)
                {
                    pooled[h] += states[(row * length + t) * hidden + h];
                }
            }
            for (int k = 0; k < labels; k++)
            {
                double expected = b[k] + Enumerable.Range(0, hidden).Sum(h => w[k * hidden + h] * pooled[h] / count);
                Assert.AreEqual(expected, actual[row * labels + k], 1e-5, $"{pooling}: row {row}, label {k}");
            }
        }
        // Padding really is excluded: the padded row's mean differs from a mean over all positions.
        Assert.IsTrue(batch.AttentionMask.Contains(0));
    }

    [TestMethod]
    public void PoolingIsStoredInTheConfigurationAsClassifierPooling()
    {
        var config = new BertConfig { HiddenSize = 32, NumAttentionHeads = 4, Pooling = BertPooling.Mean };
        string json = config.ToJson();
        StringAssert.Contains(json, "\"classifier_pooling\": \"mean\"");
        Assert.AreEqual(BertPooling.Mean, BertConfig.FromJson(json).Pooling);
        Assert.AreEqual(BertPooling.Pooler, BertConfig.FromJson("{\"model_type\": \"bert\"}").Pooling, "Hugging Face configs without the key keep the pooler");

        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertConfig.FromJson("{\"model_type\": \"bert\", \"classifier_pooling\": \"max\"}", "my config"));
        StringAssert.Contains(e.Message, "classifier_pooling 'max'");
        StringAssert.Contains(e.Message, "my config");
    }
}
