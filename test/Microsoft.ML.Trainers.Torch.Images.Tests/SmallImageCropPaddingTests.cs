using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Issue 12's 1×8×8 scenario: a fixed 4-pixel crop padding shifted half of each image away; the default padding is now
/// ⅛ of the side, and an explicit padding above ¼ of the side is refused before any data is read.
/// </summary>
[TestClass]
public sealed class SmallImageCropPaddingTests
{
    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(64)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    // Class k: a bright 4×4 quadrant k of an 8×8 image, plus noise. A 4-pixel shift moves a quadrant onto its neighbour.
    private static Row[] Quadrants(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            int k = i % 4;
            var pixels = new float[64];
            for (int y = 0; y < 8; y++)
            {
                for (int x = 0; x < 8; x++)
                {
                    bool inside = y / 4 == k / 2 && x / 4 == k % 2;
                    pixels[y * 8 + x] = (inside ? 200f : 40f) + (float)(random.NextDouble() * 30);
                }
            }
            return new Row { Label = "q" + k, Pixels = pixels };
        }).ToArray();
    }

    private static ImageClassificationTrainerOptions Options(int? cropPadding) => new()
    {
        ImageColumnName = "Pixels", ImageChannels = 1, ImageHeight = 8, ImageWidth = 8,
        Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16, Epochs = 6, BatchSize = 16,
        HorizontalFlip = false, CropPadding = cropPadding, Seed = 1,
    };

    [TestMethod]
    public void DefaultRelativePaddingLearnsTheOwnTrainingRows()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Quadrants(128, 3));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(Options(null)));
        var model = pipeline.Fit(data);
        double cleanAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;
        Assert.IsTrue(cleanAccuracy >= 0.9, $"accuracy on the un-augmented training rows {cleanAccuracy}");
    }

    [TestMethod]
    public void PaddingAboveAQuarterOfTheSideIsRefusedNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Quadrants(8, 3));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(Options(4)));
        var error = Assert.Throws<Exception>(() => pipeline.Fit(data));
        StringAssert.Contains(error.Message, "CropPadding");
        StringAssert.Contains(error.Message, "8×8");
        Assert.AreEqual(2, PaddedRandomCrop.ResolvePadding(2, 8, 8));
        Assert.AreEqual(4, PaddedRandomCrop.ResolvePadding(null, 32, 32));
        Assert.AreEqual(1, PaddedRandomCrop.ResolvePadding(null, 8, 8));
    }
}
