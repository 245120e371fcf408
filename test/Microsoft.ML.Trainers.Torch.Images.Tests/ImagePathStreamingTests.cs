using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Optimizers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Images.Tests;

/// <summary>Training from a column of image paths: files decoded batch by batch, same model as from decoded bytes.</summary>
[TestClass]
public sealed class ImagePathStreamingTests
{
    private static string WriteFolder(int count)
    {
        string root = TestData.NewTempDir();
        FashionMnistSubset.BytesRow[] rows = FashionMnistSubset.PngRows("train", count);
        for (int i = 0; i < rows.Length; i++)
        {
            string classFolder = Path.Combine(root, "class_" + rows[i].Label);
            Directory.CreateDirectory(classFolder);
            File.WriteAllBytes(Path.Combine(classFolder, $"{i:D4}.png"), rows[i].Image);
        }
        return root;
    }

    private static ImageClassificationTrainerOptions Options(string imageColumn) => new()
    {
        ImageColumnName = imageColumn,
        ImageChannels = 1,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = 2,
        BatchSize = 16,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
        Threads = 1,
    };

    private static float[][] TrainAndScore(MLContext ml, IDataView data, bool fromPaths)
    {
        IEstimator<ITransformer> pipeline = fromPaths
            ? ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(Options("ImagePath")))
            : ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath")
                .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
                .Append(ml.MulticlassClassification.Trainers.ImageClassification(Options("Image")));
        ITransformer model = pipeline.Fit(data);
        return model.Transform(data).GetColumn<float[]>("Score").ToArray();
    }

    [TestMethod]
    public void PathColumnTrainsTheSameModelAsDecodedBytes()
    {
        string folder = WriteFolder(48);
        float[][] fromBytes = TrainAndScore(new MLContext(seed: 3), new MLContext(seed: 3).Data.LoadFromImageFolder(folder), fromPaths: false);
        float[][] fromPaths = TrainAndScore(new MLContext(seed: 3), new MLContext(seed: 3).Data.LoadFromImageFolder(folder), fromPaths: true);

        Assert.HasCount(48, fromPaths);
        for (int i = 0; i < fromBytes.Length; i++)
        {
            CollectionAssert.AreEqual(fromBytes[i], fromPaths[i], $"row {i}: same seed, same pixels, same augmentation draws");
        }
    }

    [TestMethod]
    public void UndecodableFileAtTrainingTimeIsNamed()
    {
        var ml = new MLContext(seed: 1);
        string folder = WriteFolder(24);
        IDataView data = ml.Data.LoadFromImageFolder(folder);
        // Broken after listing: only training, which decodes the file, can notice.
        string broken = data.GetColumn<string>("ImagePath").Skip(5).First();
        File.WriteAllBytes(broken, new byte[] { 1, 2, 3, 4 });

        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(Options("ImagePath")));
        Exception error = Assert.Throws<Exception>(() => pipeline.Fit(data));
        for (Exception? e = error; e != null; e = e.InnerException)
        {
            if (e.Message.Contains(broken))
            {
                StringAssert.Contains(e.Message, "'ImagePath'");
                return;
            }
        }
        Assert.Fail("No error names the file: " + error);
    }
}
