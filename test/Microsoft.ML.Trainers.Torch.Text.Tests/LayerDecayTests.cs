using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp.Modules;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Layer-wise learning-rate decay (<see cref="BertTextModel.LayerDecay"/>): timm's layer ids and scales, combined with the
/// no-decay split of biases and norms, and scaled alike by the schedule.
/// </summary>
[TestClass]
public sealed class LayerDecayTests
{
    private static readonly BertConfig s_tinyConfig = new()
    {
        VocabSize = 133, HiddenSize = 32, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32,
    };

    private const double Decay = 0.5, BaseRate = 1e-3, WeightDecay = 0.01;

    [TestMethod]
    public void LayerIdsFollowTimm()
    {
        Assert.AreEqual(0, BertLayerDecay.LayerId("bert.embeddings.word_embeddings.weight", 3));
        Assert.AreEqual(0, BertLayerDecay.LayerId("bert.embeddings.LayerNorm.bias", 3));
        Assert.AreEqual(1, BertLayerDecay.LayerId("bert.encoder.layer.0.attention.self.query.weight", 3));
        Assert.AreEqual(3, BertLayerDecay.LayerId("bert.encoder.layer.2.output.LayerNorm.weight", 3));
        Assert.AreEqual(4, BertLayerDecay.LayerId("bert.pooler.dense.weight", 3));
        Assert.AreEqual(4, BertLayerDecay.LayerId("classifier.bias", 3));
        Assert.AreEqual(Math.Pow(0.8, 4), BertLayerDecay.Scale("bert.embeddings.position_embeddings.weight", 3, 0.8), 1e-15);
        Assert.AreEqual(1.0, BertLayerDecay.Scale("classifier.weight", 3, 0.8));
    }

    [TestMethod]
    public void GroupLearningRatesFollowTheFormulaAndKeepTheNoDecaySplit()
    {
        using var model = TinyModel(Decay);
        var named = model.Network.named_parameters().ToList();
        using var optimizer = CreateOptimizer(model, named, totalSteps: 10);
        var groups = optimizer.Primary.ParameterGroups;
        // Initial rates: the warmup has already scaled the current ones.
        Assert.AreEqual(BaseRate, groups[0].InitialLearningRate, 1e-18, "group 0 (the head's) keeps the full rate the log shows");
        Assert.AreEqual(named.Count, groups.Sum(g => g.Parameters.Count), "every parameter in exactly one group");
        int layers = s_tinyConfig.NumHiddenLayers;
        foreach ((string name, Parameter parameter) in named)
        {
            var group = groups.Single(g => g.Parameters.Any(p => ReferenceEquals(p, parameter)));
            double expected = BaseRate * Math.Pow(Decay, layers + 1 - BertLayerDecay.LayerId(name, layers));
            Assert.AreEqual(expected, group.InitialLearningRate, expected * 1e-12, name);
            bool noDecay = parameter.dim() <= 1 || name.Contains("LayerNorm");
            Assert.AreEqual(noDecay ? 0.0 : WeightDecay, group.WeightDecay, name);
        }
        // Embeddings, 3 encoder layers, pooler + classifier: 5 distinct rates, each with decayed and non-decayed parameters.
        Assert.AreEqual(5, groups.Select(g => g.InitialLearningRate).Distinct().Count());
        Assert.AreEqual(10, groups.Count);
    }

    [TestMethod]
    public void MuonAndItsFallbackBothGetTheLayerRates()
    {
        using var model = TinyModel(Decay);
        var named = model.Network.named_parameters().ToList();
        var options = new TextClassificationTrainerOptions(new BertFromScratch { Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary })
        {
            Optimizer = new MuonOptions { LearningRate = 0.02, FallbackLearningRate = BaseRate },
        };
        using var optimizer = LoopOptimizer.Create(options, model, named, Array.Empty<Parameter>(), 0, 8, 10);
        int layers = s_tinyConfig.NumHiddenLayers;
        foreach ((string name, Parameter parameter) in named)
        {
            var inMuon = optimizer.Primary.ParameterGroups.SingleOrDefault(g => g.Parameters.Any(p => ReferenceEquals(p, parameter)));
            var group = inMuon ?? optimizer.Fallback!.ParameterGroups.Single(g => g.Parameters.Any(p => ReferenceEquals(p, parameter)));
            double expected = (inMuon != null ? 0.02 : BaseRate) * Math.Pow(Decay, layers + 1 - BertLayerDecay.LayerId(name, layers));
            Assert.AreEqual(expected, group.InitialLearningRate, expected * 1e-12, name);
        }
        Assert.AreEqual(layers + 1, optimizer.Primary.ParameterGroups.Count, "Muon: one group per encoder layer and the pooler");
    }

    [TestMethod]
    public void TheScheduleScalesEveryGroup()
    {
        using var model = TinyModel(Decay);
        var named = model.Network.named_parameters().ToList();
        const long totalSteps = 10;
        using var optimizer = CreateOptimizer(model, named, totalSteps);
        var groups = optimizer.Primary.ParameterGroups;
        double[] initial = groups.Select(g => g.InitialLearningRate).ToArray();
        var multipliers = new List<double>();
        for (int step = 0; step <= 6; step++)
        {
            if (step > 0)
            {
                optimizer.SkipStep();
            }
            double multiplier = groups[0].LearningRate / initial[0];
            multipliers.Add(multiplier);
            for (int g = 0; g < groups.Count; g++)
            {
                Assert.AreEqual(initial[g] * multiplier, groups[g].LearningRate, initial[g] * 1e-12, $"step {step}, group {groups[g].Name}");
            }
        }
        // Warmup then decay: the multiplier rose and fell.
        Assert.IsTrue(multipliers.Max() > multipliers[0] && multipliers[^1] < multipliers.Max(), string.Join(", ", multipliers));
    }

    [TestMethod]
    public void WithoutLayerDecayTheGroupsAreUnchanged()
    {
        using var model = TinyModel(layerDecay: null);
        var named = model.Network.named_parameters().ToList();
        using var optimizer = CreateOptimizer(model, named, totalSteps: 10);
        CollectionAssert.AreEqual(new[] { "decay", "no_decay" }, optimizer.Primary.ParameterGroups.Select(g => g.Name).ToArray());
    }

    [TestMethod]
    public void LayerDecayMustBeInZeroOne()
    {
        foreach (double bad in new[] { 0.0, -0.5, 1.5, double.NaN, double.PositiveInfinity })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BertFromScratch { Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary, LayerDecay = bad });
            StringAssert.Contains(e.Message, "LayerDecay");
        }
        Assert.AreEqual(1.0, new BertFromScratch { Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary, LayerDecay = 1.0 }.LayerDecay);
    }

    [TestMethod]
    public void TrainerTrainsATinyBertWithLayerDecay()
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochMetrics>();
        var options = new TextClassificationTrainerOptions(new BertFromScratch
        {
            Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary, LayerDecay = 0.8,
        })
        {
            Optimizer = new AdamWOptions { LearningRate = 3e-3 }, Epochs = 6, BatchSize = 16, Threads = 1, EpochCallback = epochs.Add,
        };
        var model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options))
            .Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 3)));
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, string.Join("; ", epochs));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(100, seed: 4))));
        Assert.IsTrue(metrics.MicroAccuracy > 0.6, $"accuracy {metrics.MicroAccuracy}; " + string.Join("; ", epochs));
    }

    private static BertTextClassificationModel TinyModel(double? layerDecay)
    {
        var network = new BertForSequenceClassification(s_tinyConfig.WithLabels(new[] { "neg", "pos" }));
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(TextTestData.BertCheckpoint);
        return new BertTextClassificationModel(network, new BertTextEncoder(tokenizer, 32), new TextColumns("Text", null)) { LayerDecay = layerDecay };
    }

    private static LoopOptimizer CreateOptimizer(BertTextClassificationModel model, IReadOnlyList<(string name, Parameter parameter)> named, long totalSteps)
    {
        var options = new TextClassificationTrainerOptions(new BertFromScratch { Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary })
        {
            Optimizer = new AdamWOptions { LearningRate = BaseRate, WeightDecay = WeightDecay },
            Schedule = new WarmupLinearSchedule { WarmupRatio = 0.2 },
        };
        return LoopOptimizer.Create(options, model, named, Array.Empty<Parameter>(), 0, 8, totalSteps);
    }
}
