using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// A warm-start file that does not fit the network fails before the first image is read, naming the file and tensor;
/// the first-convolution warning appears only when the channel counts differ.
/// </summary>
[TestClass]
public sealed class StartingWeightsChecksTests
{
    private static readonly Regex ReadingOrTraining = new("ReadTrainingSet|TrainingLoop");

    [TestMethod]
    public void AWarmStartOfAnotherWidthFailsBeforeAnyImageIsRead()
    {
        string path = SaveNetwork(inputChannels: 1, baseWidth: 16);
        var options = Options(path);
        options.BaseWidth = 32;

        var error = Assert.ThrowsExactly<CheckpointMismatchException>(() => Fit(options, new List<string>()));
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "'conv1.weight'");
        StringAssert.DoesNotMatch(error.StackTrace!, ReadingOrTraining, "checked before reading");
    }

    [TestMethod]
    public void AOneChannelWarmStartWarnsOnlyWhenTheFirstConvolutionDiffers()
    {
        var warnings = new List<string>();
        Fit(Options(SaveNetwork(inputChannels: 1, baseWidth: 16)), warnings);
        Assert.AreEqual(0, warnings.Count, "1-channel weights for 1-channel images: " + string.Join("\n", warnings));

        string threeChannels = SaveNetwork(inputChannels: 3, baseWidth: 16);
        var error = Assert.ThrowsExactly<CheckpointMismatchException>(() => Fit(Options(threeChannels), warnings));
        StringAssert.Contains(error.Message, "'conv1.weight'");
        Assert.IsTrue(warnings.Exists(w => w.Contains("expect 3 input channel(s)", StringComparison.Ordinal)), string.Join("\n", warnings));
    }

    private static ImageClassificationTrainerOptions Options(string pretrained)
    {
        var options = ResumeChild.Options(TrainingPrecision.Float32, checkpointFolder: null);
        options.Epochs = 1;
        options.PretrainedWeightsPath = pretrained;
        return options;
    }

    private static string SaveNetwork(int inputChannels, int baseWidth)
    {
        string path = Path.Combine(TestData.NewTempDir(), $"resnet20-{inputChannels}ch-{baseWidth}.safetensors");
        using var network = ResNet.Create(ResNetArchitecture.CifarResNet20, numClasses: 10, inputChannels, baseWidth);
        ModuleCheckpoint.Save(network, path);
        return path;
    }

    private static void Fit(ImageClassificationTrainerOptions options, List<string> warnings)
    {
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
            {
                warnings.Add(e.Message);
            }
        };
        IDataView data = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 64));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(data);
        ((TorchClassificationTransformer)model.LastTransformer).Dispose();
    }
}
