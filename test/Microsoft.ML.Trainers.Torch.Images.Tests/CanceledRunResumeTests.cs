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
/// The optimizers with extra loop state (Muon's AdamW fallback, Schedule-Free's averaged point, SophiaG's Hessian
/// estimate and step count) resume bit for bit too: a run canceled with <c>MLContext.CancelExecution</c> after epoch 1 and
/// fitted again with the same options continues from its newest checkpoint (step 10 of epoch 1, one every 5 steps) to the
/// weights of an uninterrupted run.
/// </summary>
[TestClass]
public sealed class CanceledRunResumeTests
{
    public static IEnumerable<object[]> Optimizers() => new[]
    {
        new object[] { "Muon" },
        new object[] { "ScheduleFree" },
        new object[] { "Sophia" },
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
            _ => new SophiaOptions { LearningRate = 1e-3, HessianUpdateInterval = 4 },
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
