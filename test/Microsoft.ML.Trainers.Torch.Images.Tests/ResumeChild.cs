using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// The training the resume tests run in a child process (<c>dotnet &lt;this test assembly&gt; resume-child ...</c>), so it
/// can be killed with SIGKILL mid-epoch and continued in a new process. Under the test host this entry point is unused.
/// </summary>
public static class ResumeChild
{
    /// <summary>The checkpoint (or not) training run of <see cref="Options"/>; writes the final weights as safetensors.</summary>
    /// <param name="args">resume-child &lt;Float32|MixedBFloat16&gt; &lt;checkpoint folder or "-"&gt; &lt;weights output&gt;</param>
    public static int Main(string[] args)
    {
        if (args.Length != 4 || args[0] != "resume-child")
        {
            Console.Error.WriteLine("Usage: <assembly> resume-child <Float32|MixedBFloat16> <checkpoint folder or -> <weights.safetensors>");
            return 2;
        }
        var options = Options(Enum.Parse<TrainingPrecision>(args[1]), args[2] == "-" ? null : args[2]);
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("Resuming", StringComparison.Ordinal) || e.Message.Contains("epoch", StringComparison.Ordinal))
            {
                Console.WriteLine(e.Message);
            }
        };
        IDataView data = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 256));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(data);
        using var trained = (TorchClassificationTransformer)model.LastTransformer;
        ModuleCheckpoint.Save(trained.Model.Network, args[3]);
        Console.WriteLine("done");
        return 0;
    }

    /// <summary>
    /// 192 training rows in batches of 16 (12 steps per epoch), 3 epochs, a validation split with best-epoch restore, an
    /// EMA and a one-cycle schedule, so every piece of state a checkpoint holds is exercised.
    /// </summary>
    public static ImageClassificationTrainerOptions Options(TrainingPrecision precision, string? checkpointFolder) => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = 3,
        BatchSize = 16,
        ValidationFraction = 0.25,
        EmaDecay = 0.9,
        Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, WeightDecay = 5e-4 },
        Schedule = new OneCycleSchedule { MaxLearningRate = 0.05 },
        Precision = precision,
        Seed = 5,
        Threads = 1,
        CheckpointFolder = checkpointFolder,
        CheckpointEvery = 1,
        CheckpointEveryUnit = CheckpointUnit.Steps,
    };
}
