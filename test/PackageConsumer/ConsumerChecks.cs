using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.ML.Trainers.Torch.Text;

namespace Microsoft.ML.PackageConsumer;

/// <summary>The checks the consumer runs; each writes a PASS/FAIL line and returns the process exit code.</summary>
internal static class ConsumerChecks
{
    private static readonly string[] Models = { "image", "text" };

    public static int Train(string testData, string workDir)
    {
        Directory.CreateDirectory(workDir);
        var ml = new MLContext(seed: 1);
        int failures = 0;

        // Image: a CIFAR-style ResNet-20 on 600 Fashion-MNIST images (28x28 gray as a float vector), two epochs.
        IDataView imageTrain = ml.Data.LoadFromEnumerable(FashionMnistIdx.Read(testData, "train", 600));
        IDataView imageTest = ml.Data.LoadFromEnumerable(FashionMnistIdx.Read(testData, "t10k", 200));
        var imageOptions = new ImageClassificationTrainerOptions
        {
            ImageColumnName = nameof(PixelRow.Pixels),
            ImageChannels = 1,
            ImageHeight = 28,
            ImageWidth = 28,
            Architecture = ResNetArchitecture.CifarResNet20,
            BaseWidth = 16,
            Epochs = 2,
            BatchSize = 32,
            Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true },
            Threads = 2,
            LogEveryNSteps = 0,
        };
        ITransformer imageModel = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(imageOptions)).Fit(imageTrain);
        // Ten classes: chance is 0.1.
        failures += SaveAndCheck(ml, "image", imageModel, imageTrain.Schema, imageTest, workDir, minimumAccuracy: 0.4);

        // Text: the fastText-style model from scratch on the committed SpamAssassin subset (ham / spam), 240 train, 60 test.
        TextRow[] messages = SpamSubset.Read(testData);
        IDataView textTrain = ml.Data.LoadFromEnumerable(messages.Where((_, i) => i % 5 != 0));
        IDataView textTest = ml.Data.LoadFromEnumerable(messages.Where((_, i) => i % 5 == 0));
        var textOptions = new TextClassificationTrainerOptions(new FastText { Shape = new FastTextOptions { Buckets = 1 << 16, EmbeddingDim = 16 } })
        {
            Epochs = 8,
            BatchSize = 16,
            Threads = 1,
            LogEveryNSteps = 0,
        };
        ITransformer textModel = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(textOptions)).Fit(textTrain);
        // 60 messages, 40% spam: always answering ham scores 0.6.
        failures += SaveAndCheck(ml, "text", textModel, textTrain.Schema, textTest, workDir, minimumAccuracy: 0.8);
        return failures == 0 ? 0 : 1;
    }

    public static int ScoreInFreshProcess(string workDir)
    {
        // ML.NET finds a saved transformer's loader only in assemblies it has seen: register the engine's.
        var ml = new MLContext(seed: 7);
        ml.ComponentCatalog.RegisterAssembly(typeof(TorchClassificationTransformer).Assembly);
        int failures = 0;
        foreach (string name in Models)
        {
            ITransformer model = ml.Model.Load(Path.Combine(workDir, $"{name}.zip"), out _);
            IDataView rows = ml.Data.LoadFromBinary(Path.Combine(workDir, $"{name}-test.idv"));
            string[] fresh = ScoreLines(model.Transform(rows));
            string[] expected = File.ReadAllLines(Path.Combine(workDir, $"{name}-scores.tsv"));
            int firstDifference = Enumerable.Range(0, Math.Min(fresh.Length, expected.Length)).FirstOrDefault(i => fresh[i] != expected[i], -1);
            if (fresh.Length == expected.Length && firstDifference < 0)
            {
                Console.WriteLine($"PASS {name}: fresh process loaded {name}.zip and scored {fresh.Length} rows identically");
            }
            else
            {
                Console.WriteLine($"FAIL {name}: fresh-process scores differ ({fresh.Length} vs {expected.Length} rows, first difference at row {firstDifference})");
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    public static int MissingBackendError()
    {
        var ml = new MLContext(seed: 1);
        try
        {
            ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationTrainerOptions(new FastText()));
        }
        catch (InvalidOperationException e)
        {
            string[] backends = { "TorchSharp-cpu", "TorchSharp-cuda-linux", "TorchSharp-cuda-windows" };
            string[] missing = backends.Where(b => !e.Message.Contains(b, StringComparison.Ordinal)).ToArray();
            Console.WriteLine($"Error at first use: {e.Message}");
            if (missing.Length == 0)
            {
                Console.WriteLine("PASS no-backend: trainer construction names the three backend packages");
                return 0;
            }
            Console.WriteLine($"FAIL no-backend: the message does not name {string.Join(", ", missing)}");
            return 1;
        }
        Console.WriteLine("FAIL no-backend: a trainer was constructed although no TorchSharp backend is referenced");
        return 1;
    }

    private static int SaveAndCheck(MLContext ml, string name, ITransformer model, DataViewSchema inputSchema, IDataView test, string workDir, double minimumAccuracy)
    {
        ml.Model.Save(model, inputSchema, Path.Combine(workDir, $"{name}.zip"));
        string testPath = Path.Combine(workDir, $"{name}-test.idv");
        using (FileStream stream = File.Create(testPath))
        {
            ml.Data.SaveAsBinary(test, stream, keepHidden: false);
        }
        // The in-process scores of the rows as the fresh process will read them back.
        IDataView scored = model.Transform(ml.Data.LoadFromBinary(testPath));
        string[] lines = ScoreLines(scored);
        File.WriteAllLines(Path.Combine(workDir, $"{name}-scores.tsv"), lines);
        double accuracy = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        bool ok = accuracy >= minimumAccuracy;
        Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}: trained and saved {name}.zip; accuracy {accuracy:F3} on {lines.Length} test rows (need {minimumAccuracy})");
        return ok ? 0 : 1;
    }

    // One line per row: predicted key, then the scores in round-trip format, so equality is exact.
    private static string[] ScoreLines(IDataView scored)
    {
        uint[] predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        float[][] scores = scored.GetColumn<float[]>("Score").ToArray();
        return predicted.Select((p, i) => p.ToString(CultureInfo.InvariantCulture) + "\t" +
            string.Join(' ', scores[i].Select(s => s.ToString("R", CultureInfo.InvariantCulture)))).ToArray();
    }
}
