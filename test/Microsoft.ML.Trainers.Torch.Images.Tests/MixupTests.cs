using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>timm-style mixup and CutMix: soft targets, mixed pixels, λ correction, the soft-target loss and the seed.</summary>
[TestClass]
public sealed class MixupTests
{
    [TestMethod]
    public void TargetsMixOneHotLabelsWithTheReversedBatchAndCarryLabelSmoothing()
    {
        // Labels 0, 2 (reversed: 2, 0), 3 classes, λ = 0.7, smoothing 0.3: off 0.1, on 0.8.
        float[] targets = Mixup.Targets(new long[] { 0, 2 }, 3, 0.7, 0.3);
        float[] expected = { 0.8f * 0.7f + 0.1f * 0.3f, 0.1f, 0.1f * 0.7f + 0.8f * 0.3f, 0.1f * 0.7f + 0.8f * 0.3f, 0.1f, 0.8f * 0.7f + 0.1f * 0.3f };
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], targets[i], 1e-6);
        }
        Assert.AreEqual(1.0, targets.Take(3).Sum(), 1e-6);
    }

    [TestMethod]
    public void MixupBlendsEachExampleWithItsReverseAndCutMixPastesABoxWithCorrectedLambda()
    {
        using var scope = NewDisposeScope();
        Tensor x = arange(2 * 1 * 4 * 4, dtype: ScalarType.Float32).view(2, 1, 4, 4);
        Tensor labels = tensor(new long[] { 0, 1 });

        var mixup = new Mixup(mixupAlpha: 0.4, cutMixAlpha: 0);
        var random = new Random(3);
        (double lambda, bool cut) = mixup.SampleParameters(new Random(3));
        Assert.IsFalse(cut);
        MixedBatch mixed = mixup.Apply(new[] { x }, labels, 2, random);
        Tensor expected = x.mul(lambda.ToScalar()).add(x.flip(0).mul((1 - lambda).ToScalar()));
        Assert.IsTrue(mixed.Inputs[0].allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.AreEqual(lambda, mixed.Targets[0, 0].item<float>(), 1e-6);

        var cutMix = new Mixup(mixupAlpha: 0, cutMixAlpha: 1);
        (double l, bool c) = cutMix.SampleParameters(new Random(5));
        Assert.IsTrue(c);
        var boxRandom = new Random(5);
        cutMix.SampleParameters(boxRandom);
        var (top, bottom, left, right, corrected) = Mixup.CutMixBox(4, 4, l, boxRandom);
        MixedBatch pasted = cutMix.Apply(new[] { x }, labels, 2, new Random(5));
        float[] first = pasted.Inputs[0][0].flatten().data<float>().ToArray();
        int fromOther = first.Select((v, i) => (v, i)).Count(p => p.v >= 16);
        Assert.AreEqual((bottom - top) * (right - left), fromOther, "the pasted box comes from the reversed batch");
        Assert.AreEqual(1 - fromOther / 16.0, corrected, 1e-12);
        Assert.AreEqual(corrected, pasted.Targets[0, 0].item<float>(), 1e-6, "λ is the unpasted area");
    }

    [TestMethod]
    public void SoftTargetLossEqualsCrossEntropyForOneHotTargets()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new float[] { 1, 2, 0.5f, -1, 0, 3 }, new long[] { 2, 3 });
        Tensor labels = tensor(new long[] { 1, 2 });
        var batch = new MixedBatch(Array.Empty<Tensor>(), tensor(Mixup.Targets(new long[] { 1, 2 }, 3, 1, 0), new long[] { 2, 3 }));
        Assert.AreEqual(nn.functional.cross_entropy(logits, labels).item<float>(), batch.Loss(logits).item<float>(), 1e-6);
    }

    [TestMethod]
    public void BetaDrawsHaveTheBetaMean()
    {
        var random = new Random(1);
        double mean = Enumerable.Range(0, 20000).Select(_ => Mixup.SampleBeta(random, 0.2)).Average();
        Assert.AreEqual(0.5, mean, 0.02);
        double[] draws = Enumerable.Range(0, 20000).Select(_ => Mixup.SampleBeta(random, 0.2)).ToArray();
        // Beta(0.2, 0.2) is U-shaped: most mass near 0 and 1 (variance 1 / (4 (2α + 1)) = 0.1786).
        double variance = draws.Select(d => (d - 0.5) * (d - 0.5)).Average();
        Assert.AreEqual(0.1786, variance, 0.01);
    }

    [TestMethod]
    public void MixupAndCutMixTrainDeterministicallyAndOptionsAreChecked()
    {
        float[][] Scores()
        {
            var ml = new MLContext(seed: 5);
            var rows = FashionMnistSubset.PngRows("train", 24);
            IDataView data = ml.Data.LoadFromEnumerable(rows);
            IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            var options = new ImageClassificationTrainerOptions
            {
                ImageColumnName = "Image", ImageChannels = 1, Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16,
                Epochs = 1, BatchSize = 8, Threads = 1, MixupAlpha = 0.8, CutMixAlpha = 1.0, LabelSmoothing = 0.1,
            };
            ITransformer model = ml.MulticlassClassification.Trainers.ImageClassification(options).Fit(keyed);
            return model.Transform(keyed).GetColumn<float[]>("Score").ToArray();
        }
        float[][] first = Scores(), second = Scores();
        for (int i = 0; i < first.Length; i++)
        {
            Assert.IsTrue(first[i].All(float.IsFinite));
            CollectionAssert.AreEqual(first[i], second[i], $"row {i}");
        }
        foreach ((Action<ImageClassificationTrainerOptions> change, string option) in new (Action<ImageClassificationTrainerOptions>, string)[]
        {
            (o => o.MixupAlpha = -1, nameof(ImageClassificationTrainerOptions.MixupAlpha)),
            (o => o.CutMixAlpha = double.NaN, nameof(ImageClassificationTrainerOptions.CutMixAlpha)),
            (o => o.MixupSwitchProbability = 2, nameof(ImageClassificationTrainerOptions.MixupSwitchProbability)),
            (o => o.MixupProbability = -0.1, nameof(ImageClassificationTrainerOptions.MixupProbability)),
        })
        {
            var options = new ImageClassificationTrainerOptions();
            change(options);
            StringAssert.Contains(Assert.Throws<ArgumentException>(() => options.Validate()).Message, option);
        }
    }
}
