using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>A diverging run stops with an exception naming where and why; skip mode drops bad steps and keeps a finite model.</summary>
[TestClass]
public sealed class DivergenceTests
{
    private static ImageClassificationTrainerOptions Tiny(OptimizerOptions optimizer, TrainingPrecision precision = TrainingPrecision.Float32) => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = 3,
        BatchSize = 16,
        Optimizer = optimizer,
        Schedule = null,
        Precision = precision,
        Threads = 1,
    };

    [TestMethod]
    [DataRow(TrainingPrecision.Float32)]
    [DataRow(TrainingPrecision.MixedBFloat16)]
    public void SgdWithAHugeRateThrowsNamingEpochStepLossAndRate(TrainingPrecision precision)
    {
        var ml = new MLContext(seed: 1);
        var options = Tiny(new SgdOptions { LearningRate = 1e4 }, precision);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options));
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 64))));

        Assert.IsTrue(error.Epoch >= 1 && error.Epoch <= options.Epochs, error.Message);
        Assert.IsTrue(error.Step >= 1 && error.Step <= 4, error.Message);
        Assert.AreEqual(1e4, error.LearningRate, 1e-6, error.Message);
        Assert.IsFalse(double.IsFinite(error.Loss) && error.GradientNorm is null, "the loss (or the gradient norm) it reports is not finite: " + error.Message);
        StringAssert.Contains(error.Message, $"epoch {error.Epoch}, step {error.Step}");
        StringAssert.Contains(error.Message, "learning rate=10000");
    }

    [TestMethod]
    public void SkipModeStopsAfterMaxSkippedSteps()
    {
        var ml = new MLContext(seed: 1);
        var options = Tiny(new SgdOptions { LearningRate = 1e4 });
        options.SkipNonFiniteSteps = true;
        options.MaxSkippedSteps = 2;
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options));
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 64))));
        StringAssert.Contains(error.Message, "MaxSkippedSteps is 2");
    }

    [TestMethod]
    public void MaxSkippedStepsIsCheckedAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        var options = Tiny(new SgdOptions { LearningRate = 0.01 });
        options.MaxSkippedSteps = -1;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.ImageClassification(options));
        Assert.AreEqual("MaxSkippedSteps", error.ParamName);
    }
}
