using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Two fits with the same seed running at the same time train the same model as one run alone: a fit's random streams
/// are its own, and the process-wide torch generator is only used, under a lock, to initialise the model.
/// </summary>
[TestClass]
public sealed class ConcurrentFitDeterminismTests
{
    private static ImageClassificationTrainerOptions Options() => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = 1,
        BatchSize = 32,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
        Seed = 11,
        Threads = 1,
    };

    private static Dictionary<string, byte[]> Train(FashionMnistSubset.PixelRow[] rows)
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(Options()));
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows));
        using var trained = (TorchClassificationTransformer)model.LastTransformer;
        return StateBytes.Of(trained.Model.Network);
    }

    [TestMethod]
    public void ParallelFitsMatchSequentialBitForBit()
    {
        FashionMnistSubset.PixelRow[] rows = FashionMnistSubset.PixelRows("train", 256);
        int threadsBefore = TorchSharp.torch.get_num_threads();
        Dictionary<string, byte[]> sequential = Train(rows);
        Assert.AreEqual(threadsBefore, TorchSharp.torch.get_num_threads(), "Threads = 1 applies to the fit only");
        var results = new Dictionary<string, byte[]>?[2];
        var errors = new Exception?[2];
        Thread[] threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            try
            {
                results[i] = Train(rows);
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        })).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }
        foreach (Thread t in threads)
        {
            t.Join();
        }
        Assert.IsNull(errors[0] ?? errors[1], (errors[0] ?? errors[1])?.ToString());
        Assert.AreEqual(threadsBefore, TorchSharp.torch.get_num_threads(), "the thread count is restored after concurrent fits");
        StateBytes.AssertIdentical(sequential, results[0]!, "parallel fit 1");
        StateBytes.AssertIdentical(sequential, results[1]!, "parallel fit 2");
    }
}
