using System;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Options that can be checked without data fail when the trainer is created, not after the images are read.</summary>
[TestClass]
public sealed class EarlyOptionChecksTests
{
    [TestMethod]
    public void ABaseWidthThatIsNotAMultipleOf16FailsAtConstruction()
    {
        var ml = new MLContext();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.ImageClassification(new ImageClassificationTrainerOptions { BaseWidth = 24 }));
        Assert.AreEqual("BaseWidth", error.ParamName);
        StringAssert.Contains(error.Message, "multiple of 16");
    }

    [TestMethod]
    public void APretrainedFileThatIsNotSafetensorsFailsAtConstruction()
    {
        string path = System.IO.Path.Combine(TestData.NewTempDir(), "resnet18.safetensors");
        System.IO.File.WriteAllText(path, "<html>404 Not Found</html>");
        var ml = new MLContext();
        var error = Assert.ThrowsExactly<System.IO.InvalidDataException>(() =>
            ml.MulticlassClassification.Trainers.ImageClassification(new ImageClassificationTrainerOptions { PretrainedWeightsPath = path }));
        StringAssert.Contains(error.Message, "PretrainedWeightsPath");
        StringAssert.Contains(error.Message, path);
    }

    [TestMethod]
    public void NesterovWithoutMomentumFailsAtConstruction()
    {
        var ml = new MLContext();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.ImageClassification(
            new ImageClassificationTrainerOptions { Optimizer = new SgdOptions { LearningRate = 0.1, Nesterov = true } }));
        Assert.AreEqual("Nesterov", error.ParamName);
    }
}
