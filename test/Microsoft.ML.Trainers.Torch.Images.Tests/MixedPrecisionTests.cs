using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary><see cref="TrainingPrecision.MixedBFloat16"/> end to end: learns like float32 and leaves a float32 model.</summary>
[TestClass]
public sealed class MixedPrecisionTests
{
    private static ImageClassificationTrainerOptions Options(TrainingPrecision precision) => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = 3,
        BatchSize = 32,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
        Schedule = new WarmupCosineSchedule { WarmupRatio = 0.05 },
        // Clipping and the no-decay group act on the float32 masters.
        GradientClipNorm = 5.0,
        Precision = precision,
        Seed = 3,
    };

    [TestMethod]
    public void MixedBFloat16LearnsLikeFloat32AndLeavesAFloat32Model()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train"));
        IDataView test = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("t10k"));
        var accuracy = new Dictionary<TrainingPrecision, double>();
        var seconds = new Dictionary<TrainingPrecision, double>();
        foreach (TrainingPrecision precision in new[] { TrainingPrecision.Float32, TrainingPrecision.MixedBFloat16 })
        {
            var options = Options(precision);
            var history = new List<EpochMetrics>();
            options.EpochCallback = history.Add;
            var clock = Stopwatch.StartNew();
            var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(train);
            seconds[precision] = clock.Elapsed.TotalSeconds;
            accuracy[precision] = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
            Assert.IsTrue(history[^1].TrainLoss < history[0].TrainLoss, $"{precision}: training loss falls: " + string.Join("; ", history));

            var network = model.LastTransformer.Model.Network;
            foreach (var (name, parameter) in network.named_parameters())
            {
                Assert.AreEqual(ScalarType.Float32, parameter.dtype, $"{precision}: parameter {name}");
                Assert.IsTrue(parameter.requires_grad, $"{precision}: parameter {name} stays trainable");
            }
            foreach (var (name, buffer) in network.named_buffers().Where(b => is_floating_point(b.buffer)))
            {
                Assert.AreEqual(ScalarType.Float32, buffer.dtype, $"{precision}: buffer {name}");
            }
        }
        string report = string.Join(", ", accuracy.Select(a => $"{a.Key}: accuracy {a.Value:F3} in {seconds[a.Key]:F1} s"));
        Console.WriteLine(report);
        Assert.IsTrue(accuracy[TrainingPrecision.MixedBFloat16] > 0.55, report);
        Assert.IsTrue(Math.Abs(accuracy[TrainingPrecision.MixedBFloat16] - accuracy[TrainingPrecision.Float32]) < 0.06, report);
    }

    [TestMethod]
    public void UndefinedPrecisionIsRejectedNamingTheOption()
    {
        var options = Options((TrainingPrecision)7);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.ImageClassification(options));
        Assert.AreEqual(nameof(TorchTrainerOptions.Precision), ex.ParamName);
    }
}
