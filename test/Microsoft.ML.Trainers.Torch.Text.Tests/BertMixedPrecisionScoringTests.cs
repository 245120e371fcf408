using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Regression: a BERT trained with <see cref="TrainingPrecision.MixedBFloat16"/> must score after training as well as
/// the training loop measured on the same validation rows (it once scored near chance after a good validation).
/// </summary>
[TestClass]
public sealed class BertMixedPrecisionScoringTests
{
    [TestMethod]

    [DataRow(TrainingPrecision.MixedBFloat16)]
    [DataRow(TrainingPrecision.Float32)]
    public void TransformScoresTheValidationRowsAsTheLoopMeasured(TrainingPrecision precision)
    {
        var ml = new MLContext(seed: 1);
        IDataView validationRows = ml.Data.LoadFromEnumerable(TextTestData.Sentiment(120, seed: 2));
        var mapLabel = TextTestData.MapLabel(ml).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 1)));
        IDataView train = mapLabel.Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 1)));
        IDataView validation = mapLabel.Transform(validationRows);
        var options = TextClassificationTrainerTests.TinyBert(epochs: 6);
        options.Precision = precision;
        options.ValidationSet = validation;
        var trainer = ml.MulticlassClassification.Trainers.TextClassification(options);
        var model = trainer.Fit(train);

        var history = trainer.TrainingHistory;
        double best = history.Max(m => m.ValidationAccuracy!.Value);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(validation));
        Console.WriteLine($"{precision}: loop validation accuracies {string.Join(", ", history.Select(m => m.ValidationAccuracy!.Value.ToString("F3")))}; Transform {metrics.MicroAccuracy:F3}");
        // Well above chance (0.5) and far above the 0.48 the bug gave, whatever the seed's random streams.
        Assert.IsGreaterThanOrEqualTo(0.75, best, "the tiny BERT learns the task");
        // The loop validates the bfloat16 working copy, Transform the float32 masters: rows near the decision boundary
        // may flip (measured: 2 of 120), no more; the bug this guards against scored 0.48 after a validation of 0.86.
        Assert.AreEqual(best, metrics.MicroAccuracy, 3.5 / 120, $"Transform accuracy {metrics.MicroAccuracy} vs the loop's best {best}");
    }

    [TestMethod]
    public void FinishGivesBackTheFloat32BertUnchanged()
    {
        using var scope = NewDisposeScope();
        BertCheckpoint loaded = BertCheckpoint.Load(TextTestData.BertCheckpoint);
        using BertForSequenceClassification model = loaded.Model;
        model.eval();
        (Tensor ids, Tensor types, Tensor mask) = loaded.Tokenizer.EncodeBatch(new[] { "this movie is great", "the plot was very bad and the story was a movie" }).ToTensors();
        Tensor expected;
        using (no_grad())
        {
            expected = model.forward(ids, types, mask);
        }
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        using (var mixed = new MixedPrecisionTraining(model, trainable))
        {
            mixed.Finish();
        }
        Assert.IsTrue(model.parameters().All(p => p.dtype == ScalarType.Float32), "float32 after Finish");
        using (no_grad())
        {
            Tensor actual = model.forward(ids, types, mask);
            Assert.IsTrue(expected.allclose(actual, rtol: 0, atol: 1e-6), $"logits changed: {string.Join(", ", expected.data<float>().ToArray())} vs {string.Join(", ", actual.data<float>().ToArray())}");
        }
    }

    [TestMethod]

    [DataRow(0)]
    [DataRow(3)]
    public void AfterStepsFinishScoresLikeTheWorkingCopy(int steps)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        BertCheckpoint loaded = BertCheckpoint.Load(TextTestData.BertCheckpoint);
        using BertForSequenceClassification model = loaded.Model;
        (Tensor ids, Tensor types, Tensor mask) = loaded.Tokenizer.EncodeBatch(new[] { "this movie is great", "the plot was very bad and the story was a movie" }).ToTensors();
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        using var mixed = new MixedPrecisionTraining(model, trainable);
        using var optimizer = new Microsoft.ML.Optimizers.AdamWOptions { LearningRate = 1e-2, WeightDecay = 0.01 }.Create(Microsoft.ML.Optimizers.ParameterGroup.SplitNoDecay(mixed.OptimizedParameters));
        Tensor labels = tensor(new long[] { 1, 0 });
        for (int step = 0; step < steps; step++)
        {
            model.train();
            using var stepScope = NewDisposeScope();
            Tensor loss = nn.functional.cross_entropy(model.forward(ids, types, mask).to(ScalarType.Float32), labels);
            optimizer.ZeroGrad();
            loss.backward();
            mixed.CopyGradientsToMasters();
            optimizer.Step();
            mixed.CopyMastersToWorking();
        }
        model.eval();
        Tensor working;
        using (no_grad())
        {
            working = model.forward(ids, types, mask).to(ScalarType.Float32);
        }
        mixed.Finish();
        using (no_grad())
        {
            Tensor actual = model.forward(ids, types, mask);
            Assert.IsTrue(working.allclose(actual, rtol: 0.05, atol: 0.05), $"logits changed: {string.Join(", ", working.data<float>().ToArray())} vs {string.Join(", ", actual.data<float>().ToArray())}");
        }
    }
}

/// <summary>The root cause of the bug above: TorchSharp lists BERT's tensors under field-name aliases too.</summary>
[TestClass]
public sealed class BertStateAliasTests
{
    [TestMethod]
    public void ModuleStateListsEachTensorOnceUnderItsHuggingFaceName()
    {
        BertCheckpoint loaded = BertCheckpoint.Load(TextTestData.BertCheckpoint);
        using BertForSequenceClassification model = loaded.Model;
        var unique = ModuleState.Unique(model).Select(e => e.Name).ToList();
        var expected = model.named_parameters().Select(p => p.name).Concat(model.named_buffers().Select(b => b.name)).ToHashSet();
        CollectionAssert.AreEquivalent(expected.ToList(), unique);
        Assert.IsTrue(unique.All(n => !n.Contains("._", StringComparison.Ordinal)), string.Join(", ", unique.Where(n => n.Contains("._"))));
    }
}
