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
/// <see cref="ImageClassificationTrainerOptions.TestTimeFlip"/>: scoring averages the probabilities of an image and its
/// mirror, in the model itself, through Transform, validation and a saved model.
/// </summary>
[TestClass]
public sealed class TestTimeFlipTests
{
    [TestMethod]
    public void ProbabilitiesAreTheMeanOfTheImageAndItsMirrorUnderTheSameWeights()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        ResNetConfig config = ResNetConfig.FromArchitecture(ResNetArchitecture.CifarResNet20, numClasses: 5, inputChannels: 1, baseWidth: 16);
        var plainInput = new ImageInputSpec
        {
            ColumnName = "Pixels", Kind = ImageColumnKind.FloatVector, Channels = 1, Height = 10, Width = 10,
            Mean = new[] { 0f }, Std = new[] { 1f },
        };
        using var plain = new ImageClassificationModel(config, plainInput);
        using var flipping = new ImageClassificationModel(config, plainInput with { TestTimeFlip = true });
        flipping.Network.load_state_dict(plain.Network.state_dict());

        Tensor images = randn(3, 1, 10, 10);
        float[] direct = plain.PredictProbabilities(new[] { images });
        float[] mirrored = plain.PredictProbabilities(new[] { images.flip(3) });
        float[] averaged = flipping.PredictProbabilities(new[] { images });
        float[] averagedMirror = flipping.PredictProbabilities(new[] { images.flip(3) });
        double largestViewGap = direct.Zip(mirrored, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsGreaterThan(1e-3, largestViewGap, "a random network scores an image and its mirror differently");
        for (int i = 0; i < direct.Length; i++)
        {
            Assert.AreEqual((direct[i] + mirrored[i]) / 2, averaged[i], 1e-6, $"probability {i}: the mean of the two views");
            Assert.AreEqual(averaged[i], averagedMirror[i], 1e-6, $"probability {i}: an image and its mirror score alike");
        }
    }

    [TestMethod]
    public void TrainedModelScoresMirroredRowsAlikeAndKeepsItWhenSaved()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", limit: 256));
        IDataView train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        FashionMnistSubset.PixelRow[] testRows = FashionMnistSubset.PixelRows("t10k", limit: 64);
        IDataView test = ml.Data.LoadFromEnumerable(testRows);
        IDataView mirroredTest = ml.Data.LoadFromEnumerable(testRows.Select(r => new FashionMnistSubset.PixelRow { Label = r.Label, Pixels = Mirror(r.Pixels) }));

        var options = new ImageClassificationTrainerOptions
        {
            ImageColumnName = "Pixels", ImageChannels = 1, ImageHeight = 28, ImageWidth = 28,
            Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16, Epochs = 1, BatchSize = 32, Seed = 3,
            Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
            TestTimeFlip = true, ValidationSet = train,
        };
        var trainer = ml.MulticlassClassification.Trainers.ImageClassification(options);
        using TorchClassificationTransformer model = trainer.Fit(train);
        double? validationAccuracy = trainer.TrainingHistory[0].ValidationAccuracy;
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(model.Transform(train)).MicroAccuracy, validationAccuracy ?? double.NaN, 1e-9,
            "validation scores as the model does (both views)");

        float[][] scores = Scores(model.Transform(test));
        float[][] mirroredScores = Scores(model.Transform(mirroredTest));
        AssertClose(scores, mirroredScores, "an image and its mirror");

        string path = Path.Combine(Path.GetTempPath(), $"test-time-flip-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            ITransformer loaded = ml.Model.Load(path, out _);
            AssertClose(scores, Scores(loaded.Transform(mirroredTest)), "the loaded model, given the mirrors");
            var engine = ml.Model.CreatePredictionEngine<PixelsRow, ScoreRow>(loaded);
            AssertClose(new[] { scores[0] }, new[] { engine.Predict(new PixelsRow { Pixels = testRows[0].Pixels }).Score }, "PredictionEngine");
        }
        finally
        {
            File.Delete(path);
        }
    }

    public sealed class PixelsRow
    {
        [VectorType(28 * 28)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static void AssertClose(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count);
        for (int row = 0; row < expected.Count; row++)
        {
            for (int c = 0; c < expected[row].Length; c++)
            {
                Assert.AreEqual(expected[row][c], actual[row][c], 1e-5, $"{what}: row {row}, class {c}");
            }
        }
    }

    private static float[] Mirror(float[] pixels)
    {
        var mirrored = new float[pixels.Length];
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                mirrored[y * 28 + x] = pixels[y * 28 + 27 - x];
            }
        }
        return mirrored;
    }
}
