using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Bad input fails early, with messages naming the option, column or row.</summary>
[TestClass]
public sealed class ImageTrainerBadInputTests
{
    private static ImageClassificationTrainerOptions Options() => new()
    {
        ImageColumnName = "Pixels", ImageChannels = 1, ImageHeight = 28, ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16, Epochs = 1, BatchSize = 16,
    };

    private static Exception FitFails<TRow>(TRow[] rows, ImageClassificationTrainerOptions? options = null) where TRow : class
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options ?? Options()));
        return Assert.Throws<Exception>(() => pipeline.Fit(data));
    }

    [TestMethod]
    public void InvalidOptionsAreRejectedAtConstruction()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.ImageClassification(new ImageClassificationTrainerOptions { ImageChannels = 2 }));
        StringAssert.Contains(e.Message, "ImageChannels");
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.ImageClassification(new ImageClassificationTrainerOptions { Epochs = 0 }));
        StringAssert.Contains(e2.Message, "Epochs");
        var e3 = Assert.ThrowsExactly<FileNotFoundException>(() =>
            ml.MulticlassClassification.Trainers.ImageClassification(new ImageClassificationTrainerOptions { PretrainedWeightsPath = "/no/such/weights.safetensors" }));
        StringAssert.Contains(e3.Message, "PretrainedWeightsPath");
    }

    [TestMethod]
    public void EveryOptimizerOfTheLibraryIsAcceptedAtConstruction()
    {
        var ml = new MLContext();
        foreach (Microsoft.ML.Optimizers.OptimizerOptions optimizer in new Microsoft.ML.Optimizers.OptimizerOptions[]
        {
            new Microsoft.ML.Optimizers.SgdOptions(), new Microsoft.ML.Optimizers.AdamOptions(), new Microsoft.ML.Optimizers.AdamWOptions(),
            new Microsoft.ML.Optimizers.LionOptions(), new Microsoft.ML.Optimizers.LambOptions(), new Microsoft.ML.Optimizers.LarsOptions(),
            new Microsoft.ML.Optimizers.AdanOptions(), new Microsoft.ML.Optimizers.AdafactorOptions(), new Microsoft.ML.Optimizers.ScheduleFreeAdamWOptions(),
            new Microsoft.ML.Optimizers.MuonOptions(), new Microsoft.ML.Optimizers.SophiaOptions(),
        })
        {
            ImageClassificationTrainerOptions options = Options();
            options.Optimizer = optimizer;
            Assert.IsNotNull(ml.MulticlassClassification.Trainers.ImageClassification(options), optimizer.AlgorithmName);
        }
    }

    [TestMethod]
    public void MissingImageColumnIsNamed()
    {
        var options = Options();
        options.ImageColumnName = "Picture";
        StringAssert.Contains(FitFails(FashionMnistSubset.PixelRows("train", 20), options).Message, "'Picture'");
    }

    [TestMethod]
    public void WrongImageColumnTypeIsNamed()
    {
        var rows = Enumerable.Range(0, 10).Select(i => new TextRow { Label = $"c{i % 2}", Pixels = "not an image" }).ToArray();
        StringAssert.Contains(FitFails(rows).Message, "'Pixels'");
    }

    private sealed class TextRow
    {
        public string Label { get; set; } = "";

        public string Pixels { get; set; } = "";
    }

    [TestMethod]
    public void ZeroRowsAreRejected()
        => StringAssert.Contains(FitFails(Array.Empty<FashionMnistSubset.PixelRow>()).Message, "no rows");

    [TestMethod]
    public void SingleClassIsRejected()
    {
        var rows = FashionMnistSubset.PixelRows("train", 20);
        foreach (var r in rows)
        {
            r.Label = "only";
        }
        StringAssert.Contains(FitFails(rows).Message, "single class");
    }

    [TestMethod]
    public void NaNPixelNamesTheRow()
    {
        var rows = FashionMnistSubset.PixelRows("train", 20);
        rows[7].Pixels[100] = float.NaN;
        string message = FitFails(rows).Message;
        StringAssert.Contains(message, "Row 7");
        StringAssert.Contains(message, "'Pixels'");
    }

    [TestMethod]
    public void UndecodableBytesNameTheRow()
    {
        var rows = FashionMnistSubset.PngRows("train", 12);
        rows[5].Image = new byte[] { 1, 2, 3, 4, 5 };
        var options = Options();
        options.ImageColumnName = "Image";
        string message = FitFails(rows, options).Message;
        StringAssert.Contains(message, "Row 5");
        StringAssert.Contains(message, "'Image'");
    }

    [TestMethod]
    public void LabelsUnseenInTrainingAreRejectedAtPrediction()
    {
        var ml = new MLContext(seed: 1);
        var train = FashionMnistSubset.PixelRows("train", 40).Where(r => r.Label != "class9").ToArray();
        var options = Options();
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(options))
            .Fit(ml.Data.LoadFromEnumerable(train));
        var test = FashionMnistSubset.PixelRows("train", 40).Where(r => r.Label != "class9").ToArray();
        test[3].Label = "never-seen";
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            model.Transform(ml.Data.LoadFromEnumerable(test)).GetColumn<uint>("PredictedLabel").ToArray());
        StringAssert.Contains(e.Message, "Row 3");
        StringAssert.Contains(e.Message, "'Label'");
    }
}
