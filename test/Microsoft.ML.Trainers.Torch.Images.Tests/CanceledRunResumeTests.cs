using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Every optimizer other than SGD and AdamW (whose resume the killed-process tests prove) resumes bit for bit too: those
/// with extra loop state (Muon's AdamW fallback, Schedule-Free's averaged point, SophiaG's Hessian estimate and step
/// count) and those whose state is only their own (Adam, Lion, LAMB, LARS, Adan, Adafactor's factored moments). A run
/// canceled with <c>MLContext.CancelExecution</c> after epoch 1 and fitted again with the same options continues from
/// its newest checkpoint (step 10 of epoch 1, one every 5 steps) to the weights of an uninterrupted run.
/// </summary>
[TestClass]
public sealed class CanceledRunResumeTests
{
    public static IEnumerable<object[]> Optimizers() => new[]
    {
        new object[] { "Muon" },
        new object[] { "ScheduleFree" },
        new object[] { "Sophia" },
        new object[] { "Adam" },
        new object[] { "Lion" },
        new object[] { "Lamb" },
        new object[] { "Lars" },
        new object[] { "Adan" },
        new object[] { "Adafactor" },
    };

    [TestMethod]
    [DynamicData(nameof(Optimizers))]
    public void CanceledRunResumesToTheUninterruptedWeights(string optimizer)
    {
        string folder = Path.Combine(TestData.NewTempDir(), "checkpoints");
        Dictionary<string, byte[]> uninterrupted = Fit(Options(optimizer, null), cancelAfterEpoch1: false);

        Assert.ThrowsExactly<OperationCanceledException>(() => Fit(Options(optimizer, folder), cancelAfterEpoch1: true));
        Assert.IsTrue(File.Exists(Path.Combine(folder, "checkpoint-0000000010.zip")));
        Dictionary<string, byte[]> resumed = Fit(Options(optimizer, folder), cancelAfterEpoch1: false);

        StateBytes.AssertIdentical(uninterrupted, resumed, optimizer);
    }

    private static ImageClassificationTrainerOptions Options(string optimizer, string? folder)
    {
        ImageClassificationTrainerOptions options = ResumeChild.Options(TrainingPrecision.Float32, folder);
        options.Epochs = 2;
        options.EmaDecay = null;
        options.Schedule = optimizer == "ScheduleFree" ? null : options.Schedule;
        options.Optimizer = optimizer switch
        {
            "Muon" => new MuonOptions(),
            "ScheduleFree" => new ScheduleFreeAdamWOptions { LearningRate = 2e-3 },
            "Sophia" => new SophiaOptions { LearningRate = 1e-3, HessianUpdateInterval = 4 },
            "Adam" => new AdamOptions { LearningRate = 1e-3, WeightDecay = 1e-4 },
            "Lion" => new LionOptions { LearningRate = 1e-4 },
            "Lamb" => new LambOptions { LearningRate = 1e-3 },
            "Lars" => new LarsOptions { LearningRate = 0.1 },
            "Adan" => new AdanOptions { LearningRate = 1e-3 },
            "Adafactor" => new AdafactorOptions { LearningRate = 1e-2 },
            _ => throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer, "no options for this optimizer"),
        };
        options.CheckpointEvery = 5;
        return options;
    }

    private static Dictionary<string, byte[]> Fit(ImageClassificationTrainerOptions options, bool cancelAfterEpoch1)
    {
        var ml = new MLContext(seed: 1);
        if (cancelAfterEpoch1)
        {
            options.EpochCallback = metrics => ml.CancelExecution();
        }
        IDataView data = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 256));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(data);
        using var trained = (TorchClassificationTransformer)model.LastTransformer;
        return StateBytes.Of(trained.Model.Network);
    }
}
