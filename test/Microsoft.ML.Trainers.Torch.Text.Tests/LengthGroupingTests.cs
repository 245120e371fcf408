using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Length-grouped training batches (<see cref="BertTextModel.GroupByLength"/>) and dynamic padding: the grouping is
/// Hugging Face's, the loop sees every example once per epoch in an order the seed repeats, and padding a batch only to
/// its longest row scores exactly as padding to the maximum length.
/// </summary>
[TestClass]
public sealed class LengthGroupingTests
{
    private static readonly BertConfig s_tinyConfig = new()
    {
        VocabSize = 133, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32,
    };

    private const int MaxLength = 32;

    [TestMethod]
    public void ArrangeSortsEachMegabatchLongestFirstAndKeepsAPermutation()
    {
        var random = new Random(7);
        int[] lengths = Enumerable.Range(0, 1000).Select(_ => random.Next(2, 200)).ToArray();
        int[] order = Enumerable.Range(0, lengths.Length).ToArray();
        random.Shuffle(order);
        int[] shuffled = order.ToArray();
        const int batchSize = 4;
        LengthGrouping.Arrange(order, batchSize, i => lengths[i]);

        CollectionAssert.AreEquivalent(shuffled, order);
        Assert.AreEqual(lengths.Max(), lengths[order[0]], "the longest example comes first");
        // 1000 // (4 × 4) = 62 → capped at 50 batches per megabatch, as Hugging Face's sampler.
        const int megabatch = LengthGrouping.MegabatchBatches * batchSize;
        for (int start = 0; start < order.Length; start += megabatch)
        {
            int[] part = order.Skip(start).Take(megabatch).ToArray();
            // Megabatches are consecutive slices of the random order (but for the one swapped example).
            Assert.IsTrue(part.Except(shuffled.Skip(start).Take(megabatch)).Count() <= 1, $"megabatch at {start}");
            // Descending, except where the longest example was swapped in (the first of megabatch 0 and of its own).
            int[] rest = start == 0 ? part.Skip(1).ToArray() : part;
            int outOfOrder = Enumerable.Range(1, rest.Length - 1).Count(k => lengths[rest[k]] > lengths[rest[k - 1]]);
            Assert.IsTrue(outOfOrder <= 1, $"megabatch at {start}: {outOfOrder} rises");
        }
    }

    [TestMethod]
    public void ArrangeFollowsHuggingFaceOnASmallExample()
    {
        // 10 examples, batch 2: mega_batch_mult = max(1, min(10 // 8, 50)) = 1, so megabatches of 2.
        int[] lengths = { 5, 9, 1, 7, 3, 8, 2, 6, 4, 10 };
        int[] order = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        LengthGrouping.Arrange(order, 2, i => lengths[i]);
        // Sorted pairs: [1,0] [3,2] [5,4] [7,6] [9,8]; the longest (9, length 10) swaps with the first (1).
        CollectionAssert.AreEqual(new[] { 9, 0, 3, 2, 5, 4, 7, 6, 1, 8 }, order);
    }

    [TestMethod]
    public void LoopSeesEveryExampleOncePerEpochInLengthHomogeneousBatchesRepeatedBySeed()
    {
        (BertEncoding[] rows, int[] labels) = Encode(TextTestData.Sentiment(192, seed: 11));
        List<int[]> grouped = TrainAndRecord(rows, labels, groupByLength: true, seed: 5, out _);
        List<int[]> again = TrainAndRecord(rows, labels, groupByLength: true, seed: 5, out _);
        List<int[]> otherSeed = TrainAndRecord(rows, labels, groupByLength: true, seed: 6, out _);
        List<int[]> random = TrainAndRecord(rows, labels, groupByLength: false, seed: 5, out _);

        const int epochs = 2, steps = 192 / 8;
        Assert.AreEqual(epochs * steps, grouped.Count);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int[] seen = grouped.Skip(epoch * steps).Take(steps).SelectMany(b => b).OrderBy(i => i).ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(0, rows.Length).ToArray(), seen, $"epoch {epoch + 1}");
        }
        Assert.IsTrue(grouped.Zip(again).All(p => p.First.SequenceEqual(p.Second)), "same seed, same batches");
        Assert.IsFalse(grouped.Zip(otherSeed).All(p => p.First.SequenceEqual(p.Second)), "another seed, other batches");

        long Padding(List<int[]> batches) => batches.Sum(b => (long)b.Max(i => rows[i].Length) * b.Length - b.Sum(i => rows[i].Length));
        long groupedPadding = Padding(grouped), randomPadding = Padding(random);
        Assert.IsTrue(groupedPadding * 4 < randomPadding, $"padding tokens: grouped {groupedPadding}, random {randomPadding}");
        Assert.IsTrue(grouped.Take(steps).First().Max(i => rows[i].Length) == rows.Max(r => r.Length), "the longest batch comes first");
    }

    [TestMethod]
    public void DynamicPaddingScoresAsFullPaddingAfterLengthGroupedTraining()
    {
        (BertEncoding[] rows, int[] labels) = Encode(TextTestData.Sentiment(96, seed: 12));
        TrainAndRecord(rows, labels, groupByLength: true, seed: 5, out BertTextClassificationModel model);
        using (model)
        {
            var network = (BertForSequenceClassification)model.Network;
            network.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            BertEncoding[] batch = rows.Take(24).ToArray();
            Assert.IsTrue(batch.Max(r => r.Length) < MaxLength, "the batch must be shorter than the full padding");
            (Tensor ids, Tensor types, Tensor mask) = model.Tokenizer.Pad(batch).ToTensors();
            (Tensor fullIds, Tensor fullTypes, Tensor fullMask) = model.Tokenizer.Pad(batch, MaxLength).ToTensors();
            Assert.AreEqual((long)MaxLength, fullIds.shape[1]);
            float[] dynamic = network.forward(ids, types, mask).data<float>().ToArray();
            float[] full = network.forward(fullIds, fullTypes, fullMask).data<float>().ToArray();
            double worst = dynamic.Zip(full).Max(p => Math.Abs(p.First - p.Second));
            Assert.IsTrue(worst < 1e-5, $"largest logit difference {worst}");
            Assert.IsTrue(dynamic.Any(v => Math.Abs(v) > 1e-3), "the trained head gives non-trivial logits");
        }
    }

    [TestMethod]
    public void TrainerTrainsATinyBertWithGroupedBatches()
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochMetrics>();
        var options = new TextClassificationTrainerOptions(new BertFromScratch
        {
            Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary, GroupByLength = true,
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

    private static (BertEncoding[] Rows, int[] Labels) Encode(TextRow[] data)
    {
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(TextTestData.BertCheckpoint);
        return (data.Select(r => tokenizer.Encode(r.Text, null, MaxLength)).ToArray(), data.Select(r => r.Label == "pos" ? 1 : 0).ToArray());
    }

    /// <summary>Trains a tiny BERT through the loop for 2 epochs of batch 8 and returns the rows of every training batch.</summary>
    private static List<int[]> TrainAndRecord(BertEncoding[] rows, int[] labels, bool groupByLength, int seed, out BertTextClassificationModel model)
    {
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(TextTestData.BertCheckpoint);
        var encoder = new RecordingEncoder(new BertTextEncoder(tokenizer, MaxLength), rows);
        var set = new TextTrainingSet<BertEncoding>(rows, labels, encoder, groupByLength ? r => r.Length : null);
        random.manual_seed(1);
        var network = new BertForSequenceClassification(s_tinyConfig.WithLabels(new[] { "neg", "pos" }));
        network.InitializeWeights();
        model = new BertTextClassificationModel(network, new BertTextEncoder(tokenizer, MaxLength), new TextColumns("Text", null));
        var options = new TextClassificationTrainerOptions(new BertFromScratch { Config = s_tinyConfig, Vocabulary = TextTestData.BertVocabulary })
        {
            Optimizer = new AdamWOptions { LearningRate = 3e-3 }, Epochs = 2, BatchSize = 8, Seed = seed, LogEveryNSteps = 0,
        };
        options.Validate();
        IHostEnvironment env = new MLContext(1);
        using IChannel channel = env.Start("test");
        new TrainingLoop(env, channel, options).Run(model, set, null, CPU);
        return encoder.Batches;
    }

    /// <summary>Collates like the BERT encoder and records which rows each batch held.</summary>
    private sealed class RecordingEncoder : ITextEncoder<BertEncoding>
    {
        private readonly BertTextEncoder _inner;
        private readonly Dictionary<BertEncoding, int> _index;

        public RecordingEncoder(BertTextEncoder inner, BertEncoding[] rows)
        {
            _inner = inner;
            _index = new Dictionary<BertEncoding, int>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < rows.Length; i++)
            {
                _index.Add(rows[i], i);
            }
        }

        public List<int[]> Batches { get; } = new();

        public BertEncoding Encode(string text, string? pair) => _inner.Encode(text, pair)[0];

        public IReadOnlyList<Tensor> Collate(IReadOnlyList<BertEncoding> rows)
        {
            Batches.Add(rows.Select(r => _index[r]).ToArray());
            return _inner.Collate(rows.Select(r => (IReadOnlyList<BertEncoding>)new[] { r }).ToArray());
        }
    }
}
