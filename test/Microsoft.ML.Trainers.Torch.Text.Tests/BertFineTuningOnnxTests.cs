using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Optimizers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// <see cref="BertFineTuning"/> on ONNX encoders through the trainer: the checkpoint may be an <c>*.onnx</c> file or a
/// folder holding <c>model.onnx</c>, the pooling option reaches the model and its saved zip, and the packaged MiniLM
/// fine-tunes.
/// </summary>
[TestClass]
public sealed class BertFineTuningOnnxTests
{
    private static IEstimator<ITransformer> Pipeline(MLContext ml, TextClassificationTrainer trainer) => TextTestData.MapLabel(ml).Append(trainer);

    /// <summary>The trainer's transformer at the end of a fitted (or loaded) pipeline.</summary>
    private static TorchClassificationTransformer Last(ITransformer chain) => (TorchClassificationTransformer)((System.Collections.Generic.IEnumerable<ITransformer>)chain).Last();

    [TestMethod]
    public void OnnxCheckpointTrainsWithTheChosenPoolingAndTheSavedModelKeepsIt()
    {
        var ml = new MLContext(seed: 1);
        var options = new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = OnnxEncoders.TinyTorch113, Pooling = BertPooling.Cls, MaxSequenceLength = 24 })
        {
            Optimizer = new AdamWOptions { LearningRate = 3e-3, WeightDecay = 0.01 },
            Epochs = 3,
            BatchSize = 16,
            Threads = 1,
        };
        IDataView train = ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 31));
        var model = Pipeline(ml, ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(train);
        var trained = (BertTextClassificationModel)Last(model).Model;
        Assert.AreEqual(BertPooling.Cls, trained.Config.Pooling);

        string dir = TestData.NewTempDir();
        string modelPath = Path.Combine(dir, "model.zip");
        string dataPath = Path.Combine(dir, "test.idv");
        ml.Model.Save(model, train.Schema, modelPath);
        ITransformer loaded = ml.Model.Load(modelPath, out _);
        var reloaded = Last(loaded);
        Assert.AreEqual(BertPooling.Cls, ((BertTextClassificationModel)reloaded.Model).Config.Pooling, "the saved model keeps the pooling");

        using (var stream = File.Create(dataPath))
        {
            ml.Data.SaveAsBinary(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(20, seed: 32)), stream);
        }
        float[][] expected = model.Transform(ml.Data.LoadFromBinary(dataPath)).GetColumn<float[]>("Score").ToArray();
        (_, float[][] scores) = FreshProcessScoring.Score(modelPath, dataPath);
        for (int i = 0; i < expected.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i], scores[i], $"row {i}");
        }
    }

    [TestMethod]
    public void AFolderHoldingModelOnnxIsAnOnnxCheckpoint()
    {
        string folder = Path.GetDirectoryName(OnnxEncoders.TinyTorch113)!;
        var ml = new MLContext(seed: 1);
        var options = new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = folder, MaxSequenceLength = 16 })
        {
            Epochs = 1,
            BatchSize = 16,
            Threads = 1,
        };
        var model = Pipeline(ml, ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(32, seed: 33)));
        Assert.AreEqual(BertPooling.Pooler, ((BertTextClassificationModel)Last(model).Model).Config.Pooling, "null Pooling keeps the checkpoint's (none: the pooler)");
    }

    [TestMethod]
    public void PackagedMiniLMFineTunedThroughTheTrainerLowersTheLoss()
    {
        TextRow[] rows = TextTestData.Spam(classes: 2).Train;
        TextRow[] sample = rows.Where(r => r.Label == "spam").Take(4).Concat(rows.Where(r => r.Label != "spam").Take(4)).ToArray();
        var ml = new MLContext(seed: 1);
        var options = new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = OnnxEncoders.MiniLM, Pooling = BertPooling.Mean, MaxSequenceLength = 24, Dropout = 0 })
        {
            // One step per epoch, no dropout: each epoch's loss is the loss after one more AdamW step.
            Optimizer = new AdamWOptions { LearningRate = 2e-4, WeightDecay = 0.01 },
            Schedule = null,
            Epochs = 4,
            BatchSize = 8,
            Threads = 2,
        };
        var trainer = ml.MulticlassClassification.Trainers.TextClassification(options);
        Pipeline(ml, trainer).Fit(ml.Data.LoadFromEnumerable(sample));
        double first = trainer.TrainingHistory[0].TrainLoss;
        double last = trainer.TrainingHistory[^1].TrainLoss;
        Assert.IsLessThan(first * 0.8, last, $"training loss by epoch: {string.Join(", ", trainer.TrainingHistory.Select(e => e.TrainLoss.ToString("F4")))}");
    }

    [TestMethod]
    public void CheckpointOptionRejectsFilesThatAreNotOnnxAndOnnxWithoutVocabulary()
    {
        string dir = TestData.NewTempDir();
        string text = Path.Combine(dir, "weights.bin");
        File.WriteAllText(text, "x");
        var notOnnx = Assert.Throws<ArgumentException>(() => new BertFineTuning { Checkpoint = text });
        StringAssert.Contains(notOnnx.Message, "weights.bin");
        StringAssert.Contains(notOnnx.Message, "Checkpoint");

        string onnx = Path.Combine(dir, "model.onnx");
        File.Copy(OnnxEncoders.TinyTorch113, onnx);
        var noVocabulary = Assert.Throws<FileNotFoundException>(() => new BertFineTuning { Checkpoint = onnx });
        StringAssert.Contains(noVocabulary.Message, "vocab.txt");
        Assert.Throws<FileNotFoundException>(() => new BertFineTuning { Checkpoint = dir }, "a folder holding model.onnx but no vocabulary");
    }
}
