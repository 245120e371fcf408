using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// <see cref="ImageClassificationTrainerOptions.TestTimeCropPadding"/>: scoring averages the probabilities of an image and
/// the four corner crops of it padded with black (FiveCrop), and their mirrors with the flip (TenCrop).
/// </summary>
[TestClass]
public sealed class TestTimeCropTests
{
    private const int Side = 10;
    private const float Mean = 0.5f, Std = 0.25f;

    [TestMethod]
    [DataRow(false, DisplayName = "five crops")]
    [DataRow(true, DisplayName = "ten crops (with the flip)")]
    public void ProbabilitiesAreTheMeanOfTheCornerCropsOfThePaddedImage(bool flip)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        ResNetConfig config = ResNetConfig.FromArchitecture(ResNetArchitecture.CifarResNet20, numClasses: 5, inputChannels: 1, baseWidth: 16);
        var plainInput = new ImageInputSpec
        {
            ColumnName = "Pixels", Kind = ImageColumnKind.FloatVector, Channels = 1, Height = Side, Width = Side,
            Mean = new[] { Mean }, Std = new[] { Std },
        };
        using var plain = new ImageClassificationModel(config, plainInput);
        using var cropping = new ImageClassificationModel(config, plainInput with { TestTimeFlip = flip, TestTimeCropPadding = 2 });
        cropping.Network.load_state_dict(plain.Network.state_dict());

        const int count = 3;
        float[] normalized = randn(count, 1, Side, Side).data<float>().ToArray();
        // The views built here pixel by pixel: black (0 before normalization) is -mean/std after it.
        var views = new List<float[]> { normalized };
        foreach ((int top, int left) in new[] { (0, 0), (0, 4), (4, 0), (4, 4) })
        {
            views.Add(CornerCropOfPadded(normalized, count, pad: 2, top, left, black: -Mean / Std));
        }
        if (flip)
        {
            views.AddRange(views.ToArray().Select(v => Mirror(v, count)));
        }
        float[][] viewProbabilities = views.Select(v => plain.PredictProbabilities(new[] { Images(v, count) })).ToArray();
        float[] averaged = cropping.PredictProbabilities(new[] { Images(normalized, count) });

        double largestViewGap = viewProbabilities[0].Zip(viewProbabilities[1], (a, b) => Math.Abs(a - b)).Max();
        Assert.IsGreaterThan(1e-3, largestViewGap, "a random network scores an image and its corner crop differently");
        for (int i = 0; i < averaged.Length; i++)
        {
            double mean = viewProbabilities.Average(p => (double)p[i]);
            Assert.AreEqual(mean, averaged[i], 1e-5, $"probability {i}: the mean of the {views.Count} views");
        }
    }

    [TestMethod]
    public void TrainedModelScoresWithTheCropsThroughValidationTransformAndASavedModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", limit: 256));
        IDataView train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        IDataView test = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("t10k", limit: 64));
        var trainer = ml.MulticlassClassification.Trainers.ImageClassification(Options(testTimeCropPadding: 1, validationSet: train));
        using TorchClassificationTransformer model = trainer.Fit(train);

        Assert.AreEqual(ml.MulticlassClassification.Evaluate(model.Transform(train)).MicroAccuracy,
            trainer.TrainingHistory[0].ValidationAccuracy ?? double.NaN, 1e-9, "validation scores as the model does (all five views)");
        float[][] scores = model.Transform(test).GetColumn<float[]>("Score").ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"test-time-crops-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            float[][] loaded = ml.Model.Load(path, out _).Transform(test).GetColumn<float[]>("Score").ToArray();
            for (int row = 0; row < scores.Length; row++)
            {
                for (int c = 0; c < scores[row].Length; c++)
                {
                    Assert.AreEqual(scores[row][c], loaded[row][c], 1e-5, $"the loaded model: row {row}, class {c}");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow(-1)]
    [DataRow(8)]
    public void PaddingOutsideAQuarterOfTheSideIsRefusedBeforeTraining(int padding)
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", limit: 16));
        IDataView train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var trainer = ml.MulticlassClassification.Trainers.ImageClassification(Options(padding, validationSet: null));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(train));
        Assert.AreEqual(nameof(ImageClassificationTrainerOptions.TestTimeCropPadding), error.ParamName);
        StringAssert.Contains(error.Message, "[0, 7]");
        Assert.IsEmpty(trainer.TrainingHistory, "refused before the first epoch");
    }

    private static ImageClassificationTrainerOptions Options(int testTimeCropPadding, IDataView? validationSet) => new()
    {
        ImageColumnName = "Pixels", ImageChannels = 1, ImageHeight = 28, ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16, Epochs = 1, BatchSize = 32, Seed = 3,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
        TestTimeCropPadding = testTimeCropPadding, ValidationSet = validationSet,
    };

    private static Tensor Images(float[] values, int count) => tensor(values, new long[] { count, 1, Side, Side });

    private static float[] CornerCropOfPadded(float[] images, int count, int pad, int top, int left, float black)
    {
        var crop = new float[images.Length];
        for (int n = 0; n < count; n++)
        {
            for (int y = 0; y < Side; y++)
            {
                for (int x = 0; x < Side; x++)
                {
                    int sy = y + top - pad, sx = x + left - pad;
                    crop[(n * Side + y) * Side + x] = sy >= 0 && sy < Side && sx >= 0 && sx < Side ? images[(n * Side + sy) * Side + sx] : black;
                }
            }
        }
        return crop;
    }

    private static float[] Mirror(float[] images, int count)
    {
        var mirrored = new float[images.Length];
        for (int row = 0; row < count * Side; row++)
        {
            for (int x = 0; x < Side; x++)
            {
                mirrored[row * Side + x] = images[row * Side + Side - 1 - x];
            }
        }
        return mirrored;
    }
}
