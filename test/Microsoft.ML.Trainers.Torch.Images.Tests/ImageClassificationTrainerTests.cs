using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The ResNet trainer end to end on real Fashion-MNIST images, as an ML.NET estimator.</summary>
[TestClass]
public sealed class ImageClassificationTrainerTests
{
    private static ImageClassificationTrainerOptions SmallOptions(int epochs = 4) => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = epochs,
        BatchSize = 32,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
        Schedule = new OneCycleSchedule { MaxLearningRate = 0.05 },
        Seed = 3,
    };

    private static IEstimator<ITransformer> Pipeline(MLContext ml, ImageClassificationTrainerOptions options)
        => ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options));

    [TestMethod]
    public void LearnsFashionMnistWellAboveChanceAndRoundTrips()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train"));
        IDataView test = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("t10k"));
        var epochs = new List<EpochMetrics>();
        var options = SmallOptions();
        options.EpochCallback = epochs.Add;
        ITransformer model = Pipeline(ml, options).Fit(train);

        IDataView scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.AreEqual(4, epochs.Count);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss falls: " + string.Join("; ", epochs));
        Assert.IsTrue(metrics.MicroAccuracy > 0.55, $"10 classes: chance is 0.1; got {metrics.MicroAccuracy:F3}");

        string path = Path.Combine(TestData.NewTempDir(), "resnet.zip");
        ml.Model.Save(model, train.Schema, path);
        var fresh = new MLContext(seed: 5);
        ITransformer loaded = fresh.Model.Load(path, out _);
        float[][] before = scored.GetColumn<float[]>("Score").ToArray();
        float[][] after = loaded.Transform(fresh.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("t10k"))).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < before.Length; i++)
        {
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
        }

        // PredictionEngine scores one row at a time, identically to the batched transform.
        var engine = ml.Model.CreatePredictionEngine<FashionMnistSubset.PixelRow, ScoreOnly>(loaded);
        var rows = FashionMnistSubset.PixelRows("t10k", 5);
        for (int i = 0; i < rows.Length; i++)
        {
            float[] single = engine.Predict(rows[i]).Score;
            for (int c = 0; c < single.Length; c++)
            {
                Assert.AreEqual(before[i][c], single[c], 1e-5, $"row {i} class {c}");
            }
        }
    }

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void TrainsOnEncodedPngBytesOfMixedSizes()
    {
        var ml = new MLContext(seed: 1);
        // Every third image is stored at 40x40 and resized back to the input size.
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PngRows("train", 120, i => i % 3 == 0 ? 40 : 28));
        var options = SmallOptions(epochs: 1);
        options.ImageColumnName = "Image";
        options.ImageHeight = null;
        options.ImageWidth = null;
        options.ImageChannels = 1;
        ITransformer model = Pipeline(ml, options).Fit(train);
        float[][] scores = model.Transform(train).GetColumn<float[]>("Score").ToArray();
        Assert.AreEqual(120, scores.Length);
        Assert.IsTrue(scores.All(s => s.Length == 10 && Math.Abs(s.Sum() - 1) < 1e-4));
    }

    [TestMethod]
    public void ConcurrentFitsOfOneEstimatorKeepTheirOwnInputShapeAndNormalization()
    {
        // The input size comes from each fit's first image and the normalization from its images: state of the fit, not
        // of the estimator. Two fits of one trainer at once must each get their own, as two sequential fits do.
        var ml = new MLContext(seed: 1);
        ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(FashionMnistSubset.PngRows("train", 40)));
        IDataView small = keys.Transform(ml.Data.LoadFromEnumerable(FashionMnistSubset.PngRows("train", 40)));
        IDataView large = keys.Transform(ml.Data.LoadFromEnumerable(FashionMnistSubset.PngRows("train", 40, _ => 40)));
        var options = SmallOptions(epochs: 1);
        options.ImageColumnName = "Image";
        options.ImageHeight = null;
        options.ImageWidth = null;
        var trainer = ml.MulticlassClassification.Trainers.ImageClassification(options);
        ImageInputSpec Spec(TorchClassificationTransformer t) => ((ImageClassificationModel)t.Model).Input;

        ImageInputSpec smallAlone = Spec(trainer.Fit(small));
        ImageInputSpec largeAlone = Spec(trainer.Fit(large));
        Assert.AreEqual(28, smallAlone.Height);
        Assert.AreEqual(40, largeAlone.Height);
        Assert.AreNotEqual(smallAlone.Mean[0], largeAlone.Mean[0], "resizing 28 to 40 pixels changes the pixel statistics");

        var both = Task.WhenAll(Task.Run(() => trainer.Fit(small)), Task.Run(() => trainer.Fit(large))).GetAwaiter().GetResult();
        foreach ((ImageInputSpec alone, ImageInputSpec concurrent) in new[] { (smallAlone, Spec(both[0])), (largeAlone, Spec(both[1])) })
        {
            Assert.AreEqual(alone.Height, concurrent.Height);
            Assert.AreEqual(alone.Width, concurrent.Width);
            CollectionAssert.AreEqual(alone.Mean, concurrent.Mean);
            CollectionAssert.AreEqual(alone.Std, concurrent.Std);
        }
    }

    [TestMethod]
    public void TrainsOnMLImageColumns()
    {
        var ml = new MLContext(seed: 1);
        string dir = TestData.NewTempDir();
        FashionMnistSubset.BytesRow[] pngs = FashionMnistSubset.PngRows("train", 60);
        var rows = pngs.Select((r, i) =>
        {
            string file = Path.Combine(dir, $"{i}.png");
            File.WriteAllBytes(file, r.Image);
            return new FileRow { Label = r.Label, Path = file };
        }).ToArray();
        IDataView files = ml.Data.LoadFromEnumerable(rows);
        ImageClassificationTrainerOptions Options(List<EpochMetrics> history)
        {
            var options = SmallOptions(epochs: 2);
            options.ImageColumnName = "Image";
            options.ImageChannels = 3;
            options.ImageHeight = 28;
            options.ImageWidth = 28;
            options.Threads = 1;
            options.EpochCallback = history.Add;
            return options;
        }
        var fromImages = new List<EpochMetrics>();
        var pipeline = ml.Transforms.LoadImages("Image", dir, "Path")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(Options(fromImages)));
        ITransformer model = pipeline.Fit(files);
        float[][] scores = model.Transform(files).GetColumn<float[]>("Score").ToArray();

        // The same PNGs as encoded bytes, same seed, one thread: MLImage pixels must be the decoded bytes exactly, so
        // training and scoring are bit-identical.
        var fromBytes = new List<EpochMetrics>();
        IDataView bytes = ml.Data.LoadFromEnumerable(pngs);
        ITransformer reference = Pipeline(ml, Options(fromBytes)).Fit(bytes);
        float[][] expected = reference.Transform(bytes).GetColumn<float[]>("Score").ToArray();
        Assert.AreEqual(2, fromImages.Count);
        CollectionAssert.AreEqual(fromBytes.Select(e => e.TrainLoss).ToArray(), fromImages.Select(e => e.TrainLoss).ToArray(), "training losses");
        Assert.AreEqual(expected.Length, scores.Length);
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.HasCount(10, scores[i]);
            CollectionAssert.AreEqual(expected[i], scores[i], $"row {i}");
        }
    }

    private sealed class FileRow
    {
        public string Label { get; set; } = "";

        public string Path { get; set; } = "";
    }

    [TestMethod]
    public void CancelExecutionStopsWithinOneBatch()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 400));
        var options = SmallOptions(epochs: 50);
        int epochsSeen = 0;
        options.EpochCallback = _ =>
        {
            epochsSeen++;
            ml.CancelExecution();
        };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsExactly<OperationCanceledException>(() => Pipeline(ml, options).Fit(train));
        Assert.AreEqual(1, epochsSeen, "the first batch after cancellation stops training");
    }
}
