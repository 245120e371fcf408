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
        BaseWidth = 8,
        Epochs = epochs,
        BatchSize = 32,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
        Schedule = new OneCycleSchedule { MaxLearningRate = 0.05 },
        Seed = 3,
        // libtorch 2.10's CPU backward for these ResNets intermittently yields NaN gradients with 2 intra-op
        // threads (reproduced with no optimizer involved); one thread is exact. Tracked in the issue notes.
        Threads = 1,
    };

    private static IEstimator<ITransformer> Pipeline(MLContext ml, ImageClassificationTrainerOptions options)
        => ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options));

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void TrainsOnMLImageColumns()
    {
        var ml = new MLContext(seed: 1);
        string dir = TestData.NewTempDir();
        var rows = FashionMnistSubset.PngRows("train", 60).Select((r, i) =>
        {
            string file = Path.Combine(dir, $"{i}.png");
            File.WriteAllBytes(file, r.Image);
            return new FileRow { Label = r.Label, Path = file };
        }).ToArray();
        IDataView files = ml.Data.LoadFromEnumerable(rows);
        var options = SmallOptions(epochs: 1);
        options.ImageColumnName = "Image";
        options.ImageChannels = 3;
        options.ImageHeight = 32;
        options.ImageWidth = 32;
        var pipeline = ml.Transforms.LoadImages("Image", dir, "Path")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(options));
        ITransformer model = pipeline.Fit(files);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(files));
        Assert.IsTrue(metrics.MicroAccuracy >= 0, "evaluates");
        Assert.AreEqual(10, ((VectorDataViewType)model.Transform(files).Schema["Score"].Type).Size);
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
