using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>The augmentation options wired into the image trainer, and evaluation preprocessing shared by validation and scoring.</summary>
[TestClass]
public sealed class ImageAugmentationOptionsTests
{
    /// <summary>Fashion-MNIST images centred on a wider 36×28 canvas with bright side bars, as PNG.</summary>
    private static FashionMnistSubset.BytesRow[] WideRows(int count)
    {
        var (pixels, labels, n) = FashionMnistSubset.Read("train", count);
        return Enumerable.Range(0, n).Select(i =>
        {
            using var bitmap = new SKBitmap(new SKImageInfo(36, 28, SKColorType.Gray8, SKAlphaType.Opaque));
            Span<byte> target = bitmap.GetPixelSpan();
            for (int y = 0; y < 28; y++)
            {
                target.Slice(y * bitmap.RowBytes, 36).Fill(250);
                pixels.AsSpan(i * 784 + y * 28, 28).CopyTo(target.Slice(y * bitmap.RowBytes + 4, 28));
            }
            using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            return new FashionMnistSubset.BytesRow { Label = $"class{labels[i] % 2}", Image = data.ToArray() };
        }).ToArray();
    }

    private static ImageClassificationTrainerOptions Options() => new()
    {
        ImageColumnName = "Image",
        ImageChannels = 1,
        ImageHeight = 16,
        ImageWidth = 16,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = 1,
        BatchSize = 8,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
        Threads = 1,
    };

    private static IDataView Keyed(MLContext ml, int count)
    {
        IDataView data = ml.Data.LoadFromEnumerable(WideRows(count));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    [TestMethod]
    public void ValidationAndScoringPrepareTheSameTensorsWithTheImageNetEvaluationCrop()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = Keyed(ml, 10);
        ImageClassificationTrainerOptions options = Options();
        options.Augmentation = ImageAugmentationPreset.ImageNet;
        using IChannel channel = ((IHostEnvironment)ml).Start("test");
        var fit = new ImageClassificationFit(options, keyed, channel);
        var set = (ImageTrainingSet)fit.ReadTrainingSet(keyed, LabelKeyInfo.FromSchema(keyed.Schema, "Label"), channel);
        Assert.AreEqual(0.875, set.Spec.EvaluationCropRatio, "the ImageNet preset brings torchvision's evaluation crop");
        Assert.AreEqual((18, 18), (set.Spec.StoredHeight, set.Spec.StoredWidth));

        using var scope = NewDisposeScope();
        int[] all = Enumerable.Range(0, set.Count).ToArray();
        Tensor validation = set.Collate(all, augment: false, new Random(0))[0];
        Assert.AreEqual(new long[] { 10, 1, 16, 16 }.Aggregate((a, b) => a * b), validation.numel());

        using var model = new ImageClassificationModel(ResNetConfig.FromArchitecture(ResNetArchitecture.CifarResNet20, 2, 1, 16), set.Spec);
        using var saved = new MemoryStream();
        model.Save(saved);
        saved.Position = 0;
        using var loaded = ImageClassificationModel.Load(saved);
        foreach (ImageClassificationModel scorer in new[] { model, loaded })
        {
            using DataViewRowCursor cursor = keyed.GetRowCursor(keyed.Schema);
            IBatchFeaturizer featurizer = scorer.CreateFeaturizer(cursor);
            while (cursor.MoveNext())
            {
                featurizer.Add(cursor.Position);
            }
            Tensor scoring = featurizer.TakeBatch()[0];
            Assert.IsTrue(validation.equal(scoring).all().item<bool>(), "scoring prepares exactly the validation tensors");
        }

        // The crop drops the bright side bars the stretching resize would squeeze in: the edge columns differ.
        options.EvaluationCropRatio = 1;
        var stretched = (ImageTrainingSet)new ImageClassificationFit(options, keyed, channel)
            .ReadTrainingSet(keyed, LabelKeyInfo.FromSchema(keyed.Schema, "Label"), channel);
        Tensor plain = stretched.Collate(all, augment: false, new Random(0))[0];
        Assert.IsFalse(plain.allclose(validation), "the stretch resize differs from the center crop");
    }

    [TestMethod]
    public void ImageNetRecipeWithTrivialAugmentAndErasingTrainsDeterministically()
    {
        float[][] Scores()
        {
            var ml = new MLContext(seed: 2);
            IDataView keyed = Keyed(ml, 24);
            ImageClassificationTrainerOptions options = Options();
            options.Augmentation = ImageAugmentationPreset.ImageNet;
            options.RandomResizedCropMinScale = 0.25;
            options.TrivialAugment = true;
            options.RandomErasingProbability = 0.5;
            ITransformer model = ml.MulticlassClassification.Trainers.ImageClassification(options).Fit(keyed);
            return model.Transform(keyed).GetColumn<float[]>("Score").ToArray();
        }
        float[][] first = Scores(), second = Scores();
        Assert.HasCount(24, first);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.IsTrue(first[i].All(float.IsFinite));
            CollectionAssert.AreEqual(first[i], second[i], $"row {i}: same seed, same augmentation draws, same model");
        }
    }

    [TestMethod]
    public void CleanTrainAccuracyIsTheScoredAccuracyOnTheUnaugmentedTrainingData()
    {
        var ml = new MLContext(seed: 4);
        IDataView keyed = Keyed(ml, 24);
        ImageClassificationTrainerOptions options = Options();
        options.Augmentation = ImageAugmentationPreset.ImageNet;
        options.CleanTrainAccuracy = true;
        var epochs = new System.Collections.Generic.List<EpochMetrics>();
        options.EpochCallback = epochs.Add;
        ITransformer model = ml.MulticlassClassification.Trainers.ImageClassification(options).Fit(keyed);

        EpochMetrics metrics = epochs.Single();
        Assert.IsTrue(metrics.TrainBatchesAugmented);
        StringAssert.Contains(metrics.ToString(), "(augmented batches)");
        StringAssert.Contains(metrics.ToString(), "clean_train_accuracy=");
        Assert.IsNotNull(metrics.CleanTrainLoss);
        // One epoch without EMA or restore: the saved model is the evaluated one, scored with the evaluation crop.
        IDataView scored = model.Transform(keyed);
        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();
        uint[] labels = scored.GetColumn<uint>("Label").ToArray();
        double accuracy = scores.Zip(labels, (s, l) => Array.IndexOf(s, s.Max()) == l - 1 ? 1.0 : 0.0).Average();
        Assert.AreEqual(accuracy, metrics.CleanTrainAccuracy!.Value, 1e-9);
        double logLoss = scores.Zip(labels, (s, l) => -Math.Log(s[l - 1])).Average();
        Assert.AreEqual(logLoss, metrics.CleanTrainLoss!.Value, 1e-4);

        options.CleanTrainAccuracy = false;
        options.Augment = false;
        epochs.Clear();
        ml.MulticlassClassification.Trainers.ImageClassification(options).Fit(keyed);
        Assert.IsNull(epochs.Single().CleanTrainAccuracy);
        Assert.IsFalse(epochs.Single().TrainBatchesAugmented);
    }

    [TestMethod]
    public void AugmentationOptionsAreCheckedNamingTheOption()
    {
        void Expect(Action<ImageClassificationTrainerOptions> set, string option)
        {
            ImageClassificationTrainerOptions options = Options();
            set(options);
            var error = Assert.Throws<ArgumentException>(() => options.Validate());
            StringAssert.Contains(error.Message, option);
        }
        Expect(o => o.RandomResizedCropMinScale = 0, nameof(ImageClassificationTrainerOptions.RandomResizedCropMinScale));
        Expect(o => o.RandomResizedCropMaxScale = 1.5, nameof(ImageClassificationTrainerOptions.RandomResizedCropMaxScale));
        Expect(o => o.RandomResizedCropMaxRatio = 0.5, nameof(ImageClassificationTrainerOptions.RandomResizedCropMaxRatio));
        Expect(o => o.RandomErasingProbability = 1.5, nameof(ImageClassificationTrainerOptions.RandomErasingProbability));
        Expect(o => o.EvaluationCropRatio = 0, nameof(ImageClassificationTrainerOptions.EvaluationCropRatio));
        Expect(o => o.Augmentation = (ImageAugmentationPreset)7, nameof(ImageClassificationTrainerOptions.Augmentation));
    }

    [TestMethod]
    public void FloatVectorsRefuseTheEvaluationCropAndTrivialAugmentNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 4).Select(i => new FloatRow { Label = $"c{i % 2}", Image = new float[64] }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        using IChannel channel = ((IHostEnvironment)ml).Start("test");
        foreach ((Action<ImageClassificationTrainerOptions> change, string option) in new (Action<ImageClassificationTrainerOptions>, string)[]
        {
            (o => o.EvaluationCropRatio = 0.875, nameof(ImageClassificationTrainerOptions.EvaluationCropRatio)),
            (o => o.TrivialAugment = true, nameof(ImageClassificationTrainerOptions.TrivialAugment)),
        })
        {
            ImageClassificationTrainerOptions options = Options();
            options.ImageHeight = options.ImageWidth = 8;
            change(options);
            var error = Assert.Throws<ArgumentException>(() => new ImageClassificationFit(options, keyed, channel));
            StringAssert.Contains(error.Message, option);
        }
        // The ImageNet preset alone works on float vectors: no evaluation crop by default.
        ImageClassificationTrainerOptions imageNet = Options();
        imageNet.ImageHeight = imageNet.ImageWidth = 8;
        imageNet.Augmentation = ImageAugmentationPreset.ImageNet;
        var set = (ImageTrainingSet)new ImageClassificationFit(imageNet, keyed, channel).ReadTrainingSet(keyed, LabelKeyInfo.FromSchema(keyed.Schema, "Label"), channel);
        Assert.AreEqual(1.0, set.Spec.EvaluationCropRatio);
    }

    private sealed class FloatRow
    {
        public string Label { get; set; } = "";

        [VectorType(64)]
        public float[] Image { get; set; } = Array.Empty<float>();
    }
}
