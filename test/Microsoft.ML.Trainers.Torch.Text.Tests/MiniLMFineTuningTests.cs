using System.Linq;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>The packaged, imported MiniLM fine-tunes: a few AdamW steps on real spam/ham e-mails lower the loss.</summary>
[TestClass]
public sealed class MiniLMFineTuningTests
{
    [TestMethod]
    public void FewAdamWStepsOnSpamEmailsLowerTheLoss()
    {
        TextRow[] rows = TextTestData.Spam(classes: 2).Train;
        TextRow[] sample = rows.Where(r => r.Label == "spam").Take(4).Concat(rows.Where(r => r.Label != "spam").Take(4)).ToArray();
        string[] labelNames = { "ham", "spam" };
        BertCheckpoint checkpoint = BertCheckpoint.Load(OnnxEncoders.MiniLM, new BertLoadOptions
        {
            Labels = labelNames,
            Pooling = BertPooling.Mean,
            Generator = new Generator(7),
        });
        using BertForSequenceClassification model = checkpoint.Model;
        BertBatch batch = checkpoint.Tokenizer.EncodeBatch(sample.Select(r => r.Text).ToArray(), maxLength: 32);
        using Tensor labels = tensor(sample.Select(r => r.Label == "spam" ? 1L : 0L).ToArray());
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();

        double Loss()
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return nn.functional.cross_entropy(model.forward(ids, types, mask), labels).item<float>();
        }

        double before = Loss();
        using Optimizer optimizer = new AdamWOptions { LearningRate = 1e-4 }
            .Create(ParameterGroup.SplitNoDecay(model.named_parameters().Select(p => (p.name, p.parameter))));
        model.train();
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            Tensor loss = nn.functional.cross_entropy(model.forward(ids, types, mask), labels);
            loss.backward();
            optimizer.ClipGradNorm(1.0);
            optimizer.Step();
        }
        double after = Loss();
        Assert.IsTrue(after < before * 0.8, $"cross-entropy {before:F4} -> {after:F4} after 3 AdamW steps");
    }
}
