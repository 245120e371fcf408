using System;
using System.IO;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// The text trainings the resume tests run in a child process (<c>dotnet &lt;this test assembly&gt; resume-child ...</c>):
/// fastText (a sparse embedding in the optimizer's sparse-SGD group) and a tiny BERT with dropout. With "stall" the child
/// stops inside epoch 2, right after its step 5 (global step 15) and before that step's checkpoint is written, so the test
/// kills it at a known point mid-epoch, three steps past the newest checkpoint (global step 12).
/// Under the test host this entry point is unused.
/// </summary>
public static class TextResumeChild
{
    /// <param name="args">resume-child &lt;FastText|Bert&gt; &lt;checkpoint folder or "-"&gt; &lt;weights output&gt; [stall]</param>
    public static int Main(string[] args)
    {
        if (args.Length is < 4 or > 5 || args[0] != "resume-child")
        {
            Console.Error.WriteLine("Usage: <assembly> resume-child <FastText|Bert> <checkpoint folder or -> <weights.safetensors> [stall]");
            return 2;
        }
        TextClassificationTrainerOptions options = Options(args[1], args[2] == "-" ? null : args[2]);
        bool stall = args.Length == 5 && args[4] == "stall";
        if (stall)
        {
            // The step log is written from the training thread: stalling in its handler stops the run mid-step-loop.
            options.LogEveryNSteps = 5;
        }
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("Resuming", StringComparison.Ordinal))
            {
                Console.WriteLine(e.Message);
            }
            if (stall && e.Message.Contains("epoch 2 step 5/", StringComparison.Ordinal))
            {
                Console.WriteLine("stalling");
                Thread.Sleep(TimeSpan.FromMinutes(5));
            }
        };
        IDataView data = ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 3));
        var model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(data);
        using var trained = (TorchClassificationTransformer)model.LastTransformer;
        ModuleCheckpoint.Save(trained.Model.Network, args[3]);
        Console.WriteLine("done");
        return 0;
    }

    /// <summary>160 rows in batches of 16 (10 steps per epoch), 3 epochs, a checkpoint every 3 steps.</summary>
    public static TextClassificationTrainerOptions Options(string model, string? checkpointFolder)
    {
        TextClassificationTrainerOptions options = model switch
        {
            "FastText" => new(new FastText { Shape = new FastTextOptions { Buckets = 1 << 14, EmbeddingDim = 16 } })
            {
                Optimizer = new SgdOptions { LearningRate = 0.5, Momentum = 0.9 },
            },
            "Bert" => new(new BertFromScratch
            {
                Config = new BertConfig { VocabSize = 133, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32 },
                Vocabulary = Path.Combine(TextTestData.BertCheckpoint, "vocab.txt"),
            })
            {
                Optimizer = new AdamWOptions { LearningRate = 3e-3 },
                Schedule = new WarmupLinearSchedule { WarmupRatio = 0.1 },
            },
            _ => throw new ArgumentException($"Unknown model '{model}'.", nameof(model)),
        };
        options.Epochs = 3;
        options.BatchSize = 16;
        options.Threads = 1;
        options.Seed = 4;
        options.CheckpointFolder = checkpointFolder;
        options.CheckpointEvery = 3;
        options.CheckpointEveryUnit = CheckpointUnit.Steps;
        return options;
    }
}
