// Speed/accuracy probe for the fastText-style model on the SpamAssassin corpus:
//   dotnet run -c Release --project samples/SpamSpeedProbe -- <corpus .tgz or folder> [--classes 2|3] [--epochs N] ...
// 80/20 split with seed 1; prints accuracy and training seconds (featurizing the training set included).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Text;
using TorchSharp;
using static TorchSharp.torch;

var arguments = new Dictionary<string, string>();
string? corpusPath = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
    {
        arguments[args[i][2..]] = args[++i];
    }
    else
    {
        corpusPath = args[i];
    }
}
if (corpusPath is null)
{
    Console.Error.WriteLine("usage: SpamSpeedProbe <spam-assassin .tgz or folder> [--classes 2|3] [--epochs 5] [--lr 0.02] [--batch 64] [--elr 64] [--dim 32] [--buckets 1048576] [--ngrams 2] [--charmin 0] [--charmax 0] [--hidden 0] [--wd 0] [--maxtokens 1000] [--threads 2]");
    return 2;
}
string Arg(string name, string fallback) => arguments.TryGetValue(name, out string? v) ? v : fallback;
int classes = int.Parse(Arg("classes", "2"), CultureInfo.InvariantCulture);
int epochs = int.Parse(Arg("epochs", "5"), CultureInfo.InvariantCulture);
double lr = double.Parse(Arg("lr", "0.02"), CultureInfo.InvariantCulture);
double wd = double.Parse(Arg("wd", "0"), CultureInfo.InvariantCulture);
int batchSize = int.Parse(Arg("batch", "64"), CultureInfo.InvariantCulture);
torch.set_num_threads(int.Parse(Arg("threads", "2"), CultureInfo.InvariantCulture));
var options = new FastTextOptions
{
    EmbeddingDim = int.Parse(Arg("dim", "32"), CultureInfo.InvariantCulture),
    Buckets = int.Parse(Arg("buckets", (1 << 20).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
    WordNgrams = int.Parse(Arg("ngrams", "2"), CultureInfo.InvariantCulture),
    CharNgramMinLength = int.Parse(Arg("charmin", "0"), CultureInfo.InvariantCulture),
    CharNgramMaxLength = int.Parse(Arg("charmax", "0"), CultureInfo.InvariantCulture),
    HiddenSize = int.Parse(Arg("hidden", "0"), CultureInfo.InvariantCulture),
    MaxTokens = int.Parse(Arg("maxtokens", "1000"), CultureInfo.InvariantCulture),
};

var clock = Stopwatch.StartNew();
IReadOnlyList<SpamAssassinEmail> emails = SpamAssassinCorpus.Load(corpusPath);
double loadSeconds = clock.Elapsed.TotalSeconds;
clock.Restart();
string[] texts = emails.Select(e => EmailText.ToSubjectAndBody(e.Text)).ToArray();
double stripSeconds = clock.Elapsed.TotalSeconds;
if (arguments.TryGetValue("subset-out", out string? subsetPath))
{
    // A small stratified sample for fast end-to-end tests: stripped text, cut to 3,000 characters.
    var pick = new Random(1);
    var subset = new List<SpamAssassinEmail>();
    foreach ((SpamAssassinCategory category, int count) in new[] { (SpamAssassinCategory.EasyHam, 120), (SpamAssassinCategory.HardHam, 60), (SpamAssassinCategory.Spam, 120) })
    {
        subset.AddRange(Enumerable.Range(0, emails.Count).Where(i => emails[i].Category == category).OrderBy(_ => pick.Next()).Take(count)
            .OrderBy(i => i).Select(i => new SpamAssassinEmail(emails[i].Group, emails[i].Id, texts[i].Length > 3000 ? texts[i][..3000] : texts[i])));
    }
    SpamAssassinCorpus.WriteSubset(subsetPath, subset);
    Console.WriteLine($"wrote {subset.Count} messages to {subsetPath}");
    return 0;
}
string[] labelNames = emails.Select(e => e.Label(classes)).Distinct().OrderBy(l => l, StringComparer.Ordinal).ToArray();
long[] labels = emails.Select(e => (long)Array.IndexOf(labelNames, e.Label(classes))).ToArray();
Console.WriteLine($"{emails.Count} emails ({string.Join(", ", labelNames.Select((l, i) => $"{l}={labels.Count(x => x == i)}"))}); load {loadSeconds:F1}s, strip {stripSeconds:F1}s");

// 80/20 split, seed 1.
var random = new Random(1);
int[] order = Enumerable.Range(0, emails.Count).OrderBy(_ => random.Next()).ToArray();
int trainCount = (int)(emails.Count * 0.8);
int[] trainIdx = order[..trainCount];
int[] testIdx = order[trainCount..];

torch.random.manual_seed(1);
clock.Restart();
var featurizer = new FastTextFeaturizer(options);
int[][] trainFeatures = trainIdx.Select(i => featurizer.Featurize(texts[i])).ToArray();
double featurizeSeconds = clock.Elapsed.TotalSeconds;
using var model = new FastTextClassifier(options, labelNames.Length, new Generator(1));
// The embedding table has sparse gradients: plain SGD updates only the rows a batch used (fastText's own
// optimizer); the small dense head uses AdamW. The loss is a batch mean, so the embedding learning rate
// scales with the batch size (64 for batch 64 ~ fastText's per-example rate of 1.0).
double embeddingLr = double.Parse(Arg("elr", "64"), CultureInfo.InvariantCulture);
using var optimizer = optim.AdamW(model.DenseParameters(), lr: lr, weight_decay: wd);
using var embeddingOptimizer = optim.SGD(new[] { model.EmbeddingWeight }, embeddingLr);
int stepsPerEpoch = (trainCount + batchSize - 1) / batchSize;
int totalSteps = stepsPerEpoch * epochs;
int step = 0;
var shuffle = new Random(1);
for (int epoch = 0; epoch < epochs; epoch++)
{
    model.train();
    int[] perm = Enumerable.Range(0, trainCount).OrderBy(_ => shuffle.Next()).ToArray();
    double lossSum = 0;
    for (int b = 0; b < stepsPerEpoch; b++)
    {
        using var scope = NewDisposeScope();
        int[] rows = perm.Skip(b * batchSize).Take(batchSize).ToArray();
        (Tensor indices, Tensor offsets) = FastTextFeaturizer.ToTensors(rows.Select(r => trainFeatures[r]).ToArray());
        Tensor target = tensor(rows.Select(r => labels[trainIdx[r]]).ToArray());
        // Linear decay to 0, as fastText does.
        double currentLr = lr * (1.0 - (double)step / totalSteps);
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = currentLr;
        }
        foreach (var group in embeddingOptimizer.ParamGroups)
        {
            group.LearningRate = embeddingLr * (1.0 - (double)step / totalSteps);
        }
        optimizer.zero_grad();
        embeddingOptimizer.zero_grad();
        Tensor loss = nn.functional.cross_entropy(model.forward(indices, offsets), target);
        loss.backward();
        optimizer.step();
        embeddingOptimizer.step();
        lossSum += loss.item<float>() * rows.Length;
        step++;
    }
    Console.WriteLine($"epoch {epoch + 1}: loss {lossSum / trainCount:F4}  {clock.Elapsed.TotalSeconds:F1}s");
}
double trainSeconds = clock.Elapsed.TotalSeconds;

model.eval();
int correct = 0;
using (no_grad())
{
    for (int b = 0; b < testIdx.Length; b += 256)
    {
        using var scope = NewDisposeScope();
        int[] rows = testIdx.Skip(b).Take(256).ToArray();
        (Tensor indices, Tensor offsets) = featurizer.Batch(rows.Select(r => texts[r]).ToArray());
        long[] predicted = model.forward(indices, offsets).argmax(1).data<long>().ToArray();
        correct += rows.Where((r, k) => predicted[k] == labels[r]).Count();
    }
}
double accuracy = (double)correct / testIdx.Length;
Console.WriteLine($"classes={classes} dim={options.EmbeddingDim} buckets={options.Buckets} ngrams={options.WordNgrams} char={options.CharNgramMinLength}-{options.CharNgramMaxLength} hidden={options.HiddenSize} epochs={epochs} lr={lr} elr={embeddingLr} batch={batchSize} (featurize {featurizeSeconds:F1}s)");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy={accuracy:F4} seconds={trainSeconds:F1}"));
return 0;
