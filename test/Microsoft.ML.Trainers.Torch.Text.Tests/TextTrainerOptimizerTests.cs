using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>The text trainer with the optimizers that need the loop's help: Muon, SophiaG and Schedule-Free AdamW.</summary>
[TestClass]
public sealed class TextTrainerOptimizerTests
{
    private static readonly BertConfig s_tinyConfig = new()
    {
        VocabSize = 133, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32,
    };

    public static IEnumerable<object[]> LoopOptimizers() => new OptimizerOptions[]
    {
        new MuonOptions { LearningRate = 0.02, FallbackLearningRate = 3e-3 },
        new SophiaOptions { LearningRate = 3e-3, HessianUpdateInterval = 2 },
        new ScheduleFreeAdamWOptions { LearningRate = 3e-3 },
    }.Select(o => new object[] { o.AlgorithmName, o });

    [TestMethod]
    [DynamicData(nameof(LoopOptimizers))]
    public void FastTextTrainsWithTheSparseGroupKeptSparse(string name, OptimizerOptions optimizer)
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochMetrics>();
        // A hidden layer gives Muon a matrix (the embedding bag and head go to its fallback, the bag sparse).
        var options = new TextClassificationTrainerOptions(new FastText { Shape = new FastTextOptions { Buckets = 1 << 16, EmbeddingDim = 16, HiddenSize = 16 } })
        {
            Epochs = 4, BatchSize = 16, Threads = 1, LogEveryNSteps = 0, Optimizer = optimizer, EpochCallback = epochs.Add,
        };
        var model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options))
            .Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 1)));
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, $"{name}: " + string.Join("; ", epochs));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(100, seed: 2))));
        Assert.IsTrue(double.IsFinite(metrics.LogLoss), name);
    }

    [TestMethod]
    [DynamicData(nameof(LoopOptimizers))]
    public void TinyBertTrainsFromScratch(string name, OptimizerOptions optimizer)
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochMetrics>();
        var options = new TextClassificationTrainerOptions(new BertFromScratch
        {
            Config = s_tinyConfig,
            Vocabulary = Path.Combine(TextTestData.BertCheckpoint, "vocab.txt"),
        })
        {
            Optimizer = optimizer, Epochs = 8, BatchSize = 16, Threads = 1, EpochCallback = epochs.Add,
        };
        var model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options))
            .Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 3)));
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, $"{name}: " + string.Join("; ", epochs));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(100, seed: 4))));
        Assert.IsTrue(metrics.MicroAccuracy > 0.6, $"{name}: accuracy {metrics.MicroAccuracy}; " + string.Join("; ", epochs));
    }

    [TestMethod]
    public void MuonSplitOfABertKeepsEmbeddingsHeadBiasesAndNormsForAdamW()
    {
        using var network = new BertForSequenceClassification(s_tinyConfig);
        var named = network.named_parameters().ToList();
        var (muon, fallback) = MuonParameterSplit.Split(named, network, "classifier");
        var toMuon = muon.Select(p => p.Name).ToList();
        var rest = fallback.Select(p => p.Name).ToList();
        Assert.IsTrue(toMuon.Count > 0);
        Assert.IsTrue(toMuon.All(n => n.StartsWith("bert.encoder.") || n.StartsWith("bert.pooler.")), string.Join(", ", toMuon));
        Assert.IsTrue(toMuon.All(n => n.EndsWith(".weight") && !n.Contains("LayerNorm")), string.Join(", ", toMuon));
        CollectionAssert.Contains(toMuon, "bert.encoder.layer.0.attention.self.query.weight");
        CollectionAssert.Contains(rest, "bert.embeddings.word_embeddings.weight");
        CollectionAssert.Contains(rest, "bert.embeddings.position_embeddings.weight");
        CollectionAssert.Contains(rest, "bert.embeddings.LayerNorm.weight");
        CollectionAssert.Contains(rest, "classifier.weight");
        CollectionAssert.Contains(rest, "classifier.bias");
        CollectionAssert.Contains(rest, "bert.encoder.layer.0.attention.self.query.bias");
        Assert.AreEqual(named.Count, muon.Count + fallback.Count);
    }
}
