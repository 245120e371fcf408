using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Text;
using Samples.Support;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The fastText-style featurizer and classifier.</summary>
[TestClass]
public sealed class FastTextTests
{
    [TestMethod]
    public void FeaturesAreUnigramsPlusBigramsAndStable()
    {
        var options = new FastTextOptions { Buckets = 1000, WordNgrams = 2 };
        int[] a = new FastTextFeaturizer(options).Featurize("Free MONEY now!!!");
        int[] b = new FastTextFeaturizer(FastTextOptions.FromJson(options.ToJson())).Featurize("free money NOW!!!");
        // 4 words ("free", "money", "now", "!!!") and 3 bigrams.
        Assert.AreEqual(7, a.Length);
        CollectionAssert.AreEqual(a, b, "lowercased, process-independent hashing");
        Assert.IsTrue(a.All(x => x >= 0 && x < options.Buckets));
    }

    [TestMethod]
    public void HashingDoesNotChangeBetweenVersions()
    {
        // Saved models depend on these buckets: a change here breaks every trained fastText model.
        int[] features = new FastTextFeaturizer(new FastTextOptions { Buckets = 1 << 20 }).Featurize("spam ham");
        Assert.AreEqual(3, features.Length);
        CollectionAssert.AreEqual(KnownBuckets, features, $"got [{string.Join(", ", features)}]");
    }

    private static readonly int[] KnownBuckets = { 421424, 377349, 875179 };

    [TestMethod]
    public void CharacterNgramsAreAdded()
    {
        var options = new FastTextOptions { Buckets = 1000, WordNgrams = 1, CharNgramMinLength = 3, CharNgramMaxLength = 3 };
        // "<ab>": "<ab", "ab>" (the whole wrapped word is left out).
        Assert.AreEqual(1 + 2, new FastTextFeaturizer(options).Featurize("ab").Length);
    }

    [TestMethod]
    public void EmptyTextHasOneReservedFeature()
    {
        var featurizer = new FastTextFeaturizer(new FastTextOptions { Buckets = 1000 });
        int[] empty = featurizer.Featurize(null);
        Assert.AreEqual(1, empty.Length);
        CollectionAssert.AreEqual(empty, featurizer.Featurize("   "));
    }

    [TestMethod]
    public void MaxTokensBoundsTheFeatures()
    {
        var featurizer = new FastTextFeaturizer(new FastTextOptions { Buckets = 1000, WordNgrams = 1, MaxTokens = 3 });
        Assert.AreEqual(3, featurizer.Featurize("a b c d e f").Length);
    }

    [TestMethod]
    public void InvalidOptionIsNamed()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FastTextFeaturizer(new FastTextOptions { WordNgrams = 0 }));
        StringAssert.Contains(e.Message, "WordNgrams");
    }

    [TestMethod]
    public void ForwardGivesLogitsPerRowAndSparseEmbeddingGradient()
    {
        var options = new FastTextOptions { Buckets = 500, EmbeddingDim = 8, HiddenSize = 4 };
        using var model = new FastTextClassifier(options, 3, new Generator(1));
        using var scope = NewDisposeScope();
        (Tensor indices, Tensor offsets) = new FastTextFeaturizer(options).Batch(new[] { "a b c", null, "d" });
        Tensor logits = model.forward(indices, offsets);
        CollectionAssert.AreEqual(new long[] { 3, 3 }, logits.shape);
        logits.sum().backward();
        Assert.IsTrue(model.EmbeddingWeight.grad!.is_sparse);
        CollectionAssert.AreEquivalent(new[] { "hidden.weight", "hidden.bias", "classifier.weight", "classifier.bias" },
            model.named_parameters().Where(p => p.name != "embedding.weight").Select(p => p.name).ToArray());
        Assert.AreEqual(4, model.DenseParameters().Count());
    }

    [TestMethod]
    public void TrainsToHighAccuracyOnTheSpamSubset()
    {
        // 240 training messages incl. hard ham; the majority class is 0.6. The full-corpus figure (>= 0.99) comes from samples/SpamAssassin.
        var emails = SpamAssassinCorpus.LoadSubset(Path.Combine(TestData.Root, "spam", "spamassassin-subset.jsonl"));
        var random = new Random(1);
        int[] order = Enumerable.Range(0, emails.Count).OrderBy(_ => random.Next()).ToArray();
        int[] train = order[..240], test = order[240..];
        long[] labels = emails.Select(e => e.IsSpam ? 1L : 0L).ToArray();
        var options = new FastTextOptions { Buckets = 1 << 18, EmbeddingDim = 16 };
        var featurizer = new FastTextFeaturizer(options);
        int[][] features = emails.Select(e => featurizer.Featurize(e.Text)).ToArray();

        torch.random.manual_seed(1);
        using var model = new FastTextClassifier(options, 2, new Generator(1));
        using var head = optim.AdamW(model.DenseParameters(), lr: 0.02);
        using var embedding = optim.SGD(new[] { model.EmbeddingWeight }, 32);
        for (int epoch = 0; epoch < 12; epoch++)
        {
            for (int b = 0; b < train.Length; b += 16)
            {
                using var scope = NewDisposeScope();
                int[] rows = train.Skip(b).Take(16).ToArray();
                (Tensor indices, Tensor offsets) = FastTextFeaturizer.ToTensors(rows.Select(r => features[r]).ToArray());
                head.zero_grad();
                embedding.zero_grad();
                nn.functional.cross_entropy(model.forward(indices, offsets), tensor(rows.Select(r => labels[r]).ToArray())).backward();
                head.step();
                embedding.step();
            }
        }
        model.eval();
        using var evalScope = NewDisposeScope();
        using var noGrad = no_grad();
        (Tensor ti, Tensor to) = FastTextFeaturizer.ToTensors(test.Select(r => features[r]).ToArray());
        long[] predicted = model.forward(ti, to).argmax(1).data<long>().ToArray();
        double accuracy = test.Where((r, k) => predicted[k] == labels[r]).Count() / (double)test.Length;
        Assert.IsTrue(accuracy >= 0.85, $"accuracy {accuracy:F3} on {test.Length} held-out subset messages");
    }
}
