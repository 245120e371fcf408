using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

[TestClass]
public sealed class TextClassificationTrainerTests
{
    private sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public uint PredictedLabel { get; set; }
    }

    internal static TextClassificationTrainerOptions SmallFastText(int epochs = 8) => new(new FastText { Shape = new FastTextOptions { Buckets = 1 << 16, EmbeddingDim = 16 } })
    {
        Epochs = epochs,
        BatchSize = 16,
        Threads = 1,
        LogEveryNSteps = 0,
    };

    internal static TextClassificationTrainerOptions TinyBert(int epochs = 6, string? checkpoint = null)
        => new(new BertFineTuning { Checkpoint = checkpoint ?? TextTestData.BertCheckpoint, MaxSequenceLength = 24 })
    {
        Optimizer = new AdamWOptions { LearningRate = 3e-3, WeightDecay = 0.01 },
        Epochs = epochs,
        BatchSize = 16,
        Threads = 1,
        LogEveryNSteps = 0,
    };

    private static IEstimator<ITransformer> Pipeline(MLContext ml, TextClassificationTrainerOptions options) =>
        TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options));

    [TestMethod]
    public void FastTextLearnsSpamFromTheSubsetAndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        (TextRow[] trainRows, TextRow[] testRows) = TextTestData.Spam(classes: 2);
        var model = Pipeline(ml, SmallFastText()).Fit(ml.Data.LoadFromEnumerable(trainRows));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(testRows)));
        // 60 held-out messages, 40% spam: chance is 0.6.
        Assert.IsGreaterThanOrEqualTo(0.85, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void FastTextSgdMomentumAlsoLearns()
    {
        var ml = new MLContext(seed: 1);
        (TextRow[] trainRows, TextRow[] testRows) = TextTestData.Spam(classes: 2);
        var options = SmallFastText();
        options.Optimizer = new SgdOptions { LearningRate = 3.0, Momentum = 0.9, Nesterov = true };
        var model = Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(trainRows));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(testRows)));
        Assert.IsGreaterThanOrEqualTo(0.85, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void BertFineTunesTheCheckpointAndPredictsThroughPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var options = TinyBert(epochs: 10);
        options.ValidationFraction = 0.2;
        var model = Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 1)));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(100, seed: 2))));
        Assert.IsGreaterThanOrEqualTo(0.85, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");

        var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        Prediction p = engine.Predict(new TextRow { Text = "this film was very great", Label = "pos" });
        Assert.AreEqual(2, p.Score.Length);
        Assert.AreEqual(1.0, p.Score.Sum(), 1e-5);
        // Null and empty text are allowed and predicted.
        Assert.AreEqual(2, engine.Predict(new TextRow { Text = null!, Label = "pos" }).Score.Length);
        Assert.AreEqual(2, engine.Predict(new TextRow { Text = "", Label = "pos" }).Score.Length);
    }

    [TestMethod]
    public void BertTrainsFromScratchWithConfigAndVocabulary()
    {
        var ml = new MLContext(seed: 1);
        var options = new TextClassificationTrainerOptions(new BertFromScratch
        {
            Config = new BertConfig { VocabSize = 133, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32 },
            Vocabulary = Path.Combine(TextTestData.BertCheckpoint, "vocab.txt"),
        })
        {
            Optimizer = new AdamWOptions { LearningRate = 3e-3 },
            Epochs = 8,
            BatchSize = 16,
            Threads = 1,
        };
        var model = Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 3)));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(100, seed: 4))));
        Assert.IsGreaterThanOrEqualTo(0.85, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void SentencePairsUseTheSecondColumn()
    {
        var ml = new MLContext(seed: 1);
        // The class is only in the second text: the model must read it.
        PairRow[] Rows(int seed) => TextTestData.Sentiment(120, seed).Select(r => new PairRow { First = "the movie", Second = r.Text, Label = r.Label }).ToArray();
        var options = TinyBert(epochs: 12);
        // Without dropout: on 120 rows the golden model's 0.1 dropout leaves accuracy between 0.47 and 0.74 for seeds 1-4
        // (libtorch's dropout and the fit's own alike), so the check depended on a lucky random stream.
        ((BertFineTuning)options.Model).Dropout = 0;
        options.TextColumnName = nameof(PairRow.First);
        options.SecondTextColumnName = nameof(PairRow.Second);
        var model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(ml.Data.LoadFromEnumerable(Rows(5)));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(Rows(6))));
        Assert.IsGreaterThanOrEqualTo(0.85, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void LengthBucketedScoringEqualsRowByRowScoring()
    {
        var ml = new MLContext(seed: 1);
        var options = TinyBert(epochs: 1);
        var model = Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 7)));
        // 100 rows of mixed lengths: more than one length bucket per scoring batch.
        TextRow[] rows = TextTestData.Sentiment(100, seed: 8);
        float[][] batched = ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).Select(p => p.Score).ToArray();
        var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        for (int i = 0; i < rows.Length; i++)
        {
            float[] single = engine.Predict(rows[i]).Score;
            for (int c = 0; c < single.Length; c++)
            {
                Assert.AreEqual(single[c], batched[i][c], 1e-5, $"row {i} class {c}");
            }
        }
    }

    [TestMethod]
    public void SaveAndLoadInAFreshContextGivesIdenticalScores()
    {
        foreach (string architecture in new[] { nameof(FastText), nameof(BertFineTuning) })
        {
            var ml = new MLContext(seed: 1);
            var options = architecture == nameof(BertFineTuning) ? TinyBert(epochs: 1) : SmallFastText(epochs: 2);
            IDataView train = ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 9));
            ITransformer model = Pipeline(ml, options).Fit(train);
            string path = Path.Combine(TestData.NewTempDir(), "model.zip");
            ml.Model.Save(model, train.Schema, path);

            var fresh = new MLContext(seed: 2);
            ITransformer loaded = fresh.Model.Load(path, out _);
            IDataView test = fresh.Data.LoadFromEnumerable(TextTestData.Sentiment(50, seed: 10));
            float[][] expected = ml.Data.CreateEnumerable<Prediction>(model.Transform(test), false).Select(p => p.Score).ToArray();
            float[][] actual = fresh.Data.CreateEnumerable<Prediction>(loaded.Transform(test), false).Select(p => p.Score).ToArray();
            Assert.AreEqual(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                CollectionAssert.AreEqual(expected[i], actual[i], $"{architecture} row {i}");
            }
        }
    }

    [TestMethod]
    public void ProgressIsLoggedEveryNSteps()
    {
        var ml = new MLContext(seed: 1);
        var messages = new System.Collections.Concurrent.ConcurrentQueue<string>();
        ml.Log += (_, e) => messages.Enqueue(e.Message);
        var options = SmallFastText(epochs: 1);
        options.LogEveryNSteps = 2;
        Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 11)));
        Assert.IsTrue(messages.Any(m => m.Contains("step 2/4") && m.Contains("lr=") && m.Contains("examples/s=")), string.Join("\n", messages.Where(m => m.Contains("step"))));
    }

    [TestMethod]
    public void CancelExecutionStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var options = SmallFastText(epochs: 50);
        int epochs = 0;
        options.EpochCallback = _ =>
        {
            epochs++;
            ml.CancelExecution();
        };
        Assert.ThrowsExactly<OperationCanceledException>(() => Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 12))));
        Assert.AreEqual(1, epochs);
    }

    [TestMethod]
    public void EarlyStoppingEndsBeforeTheLastEpoch()
    {
        var ml = new MLContext(seed: 1);
        var options = SmallFastText(epochs: 40);
        options.ValidationSet = TextTestData.MapLabel(ml).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 13)))
            .Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(40, seed: 14)));
        options.EarlyStoppingPatience = 2;
        var trainer = ml.MulticlassClassification.Trainers.TextClassification(options);
        TextTestData.MapLabel(ml).Append(trainer).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 13)));
        Assert.IsLessThan(40, trainer.TrainingHistory.Count, "separable data reaches its best validation accuracy early");
    }

    [TestMethod]
    public void BertWithAHugeSgdRateThrowsTrainingDiverged()
    {
        var ml = new MLContext(seed: 1);
        var options = TinyBert(epochs: 2);
        // BERT's LayerNorms absorb a rate of 1e4 (huge but finite weights); 1e20 overflows float32 within a few steps.
        options.Optimizer = new SgdOptions { LearningRate = 1e20 };
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(64, seed: 7))));
        Assert.AreEqual(1e20, error.LearningRate, 1e8, error.Message);
        StringAssert.Contains(error.Message, $"epoch {error.Epoch}, step {error.Step}");
    }
}
