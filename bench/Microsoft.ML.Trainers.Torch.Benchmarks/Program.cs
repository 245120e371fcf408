using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Text trainer speed against PyTorch 1.13, side by side in one run on this machine: fine-tuning the packaged
/// all-MiniLM-L6-v2 (build/PretrainedMiniLM.targets) with AdamW on batches of <c>--batch</c> texts of <c>--length</c>
/// tokens, in float32 and mixed bfloat16, and scoring (Transform) the same texts; pytorch_bert_peer.py runs the same
/// shape in PyTorch. Reports examples per second and the ratio ours / PyTorch, with the machine's load.
/// Usage: dotnet run -c Release --project bench/Microsoft.ML.Trainers.Torch.Benchmarks -- [--steps 20] [--batch 32]
/// [--length 128] [--threads 2] [--python /usr/bin/python3] [--no-pytorch]
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        int steps = 20, batch = 32, length = 128, threads = 2;
        string python = "/usr/bin/python3";
        bool pytorch = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch": batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--length": length = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--python": python = args[++i]; break;
                case "--no-pytorch": pytorch = false; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        string checkpoint = Path.Combine(AppContext.BaseDirectory, "pretrained", "minilm", "model.onnx");
        if (!File.Exists(checkpoint))
        {
            Console.Error.WriteLine($"'{checkpoint}' is missing; the build extracts it (build/PretrainedMiniLM.targets).");
            return 1;
        }
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; load average at start {LoadAverage()}; " +
            $"MiniLM-L6 (6 layers, 384 wide), batch {batch} x {length} tokens, AdamW, {threads} threads, {steps} timed steps.");
        Console.WriteLine("| precision | ours train ex/s | PyTorch 1.13 train ex/s | ours / PyTorch | ours scoring ex/s | PyTorch scoring ex/s | ours / PyTorch |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (TrainingPrecision precision in new[] { TrainingPrecision.Float32, TrainingPrecision.MixedBFloat16 })
        {
            (double train, double score) = Ours(checkpoint, precision, steps, batch, length, threads);
            (double train, double score)? peer = pytorch
                ? PyTorch(python, precision == TrainingPrecision.Float32 ? "float32" : "bfloat16", steps, batch, length, threads)
                : null;
            Console.WriteLine($"| {precision} | {train:F1} | {Format(peer?.train)} | {Ratio(train, peer?.train)} | {score:F1} | {Format(peer?.score)} | {Ratio(score, peer?.score)} |");
        }
        Console.WriteLine($"load average at end {LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// Two epochs of <paramref name="steps"/> batches through the public trainer; the second epoch's rate (the first
    /// includes one-time costs), then one Transform pass over the same texts.
    /// </summary>
    private static (double Train, double Score) Ours(string checkpoint, TrainingPrecision precision, int steps, int batch, int length, int threads)
    {
        var ml = new MLContext(seed: 1);
        IDataView rows = ml.Data.LoadFromEnumerable(Texts(File.ReadAllLines(Path.Combine(Path.GetDirectoryName(checkpoint)!, "vocab.txt")), steps * batch, length));
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rows).Transform(rows);
        var options = new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = checkpoint, MaxSequenceLength = length })
        {
            Optimizer = new AdamWOptions { LearningRate = 5e-5, WeightDecay = 0.01 },
            Epochs = 2,
            BatchSize = batch,
            Precision = precision,
            Threads = threads,
        };
        var trainer = ml.MulticlassClassification.Trainers.TextClassification(options);
        var model = trainer.Fit(data);
        double train = trainer.TrainingHistory[^1].ExamplesPerSecond;
        var clock = Stopwatch.StartNew();
        long scored = ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: true).LongCount();
        return (train, scored / clock.Elapsed.TotalSeconds);
    }

    private static (double Train, double Score) PyTorch(string python, string precision, int steps, int batch, int length, int threads)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "pytorch_bert_peer.py"), "--precision", precision,
            "--steps", steps.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture),
            "--length", length.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{python} pytorch_bert_peer.py failed ({process.ExitCode}): {error}");
        }
        using JsonDocument json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        return (json.RootElement.GetProperty("examples_per_second").GetDouble(), json.RootElement.GetProperty("scoring_examples_per_second").GetDouble());
    }

    /// <summary>Texts of random whole words from the vocabulary, long enough that every one fills <paramref name="length"/> tokens.</summary>
    private static IEnumerable<Row> Texts(string[] vocabulary, int count, int length)
    {
        string[] words = vocabulary.Where(w => w.Length > 2 && w.All(char.IsAsciiLetterLower)).ToArray();
        var random = new Random(1);
        for (int i = 0; i < count; i++)
        {
            yield return new Row
            {
                Text = string.Join(' ', Enumerable.Range(0, length + 16).Select(_ => words[random.Next(words.Length)])),
                Label = (i % 2).ToString(CultureInfo.InvariantCulture),
            };
        }
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string Format(double? value) => value is double v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double ours, double? peer) => peer is double p ? (ours / p).ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";

    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class Scored
    {
        public uint PredictedLabel { get; set; }
    }
}
