// Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), figure 2, on Fashion-MNIST:
// with Adam + L2 the best weight decay moves with the learning rate; with AdamW it stays put.
//
// Grids (documented in the top-level README): learning rate alpha in half decades for both optimizers.
//  - Adam-L2: the L2 coefficient (added to the gradient, g += wd * p), half decades.
//  - AdamW: the paper's decoupled factor lambda, the fraction of every weight removed per step at the schedule's peak
//    (x <- x - eta_t * lambda * x), half decades. PyTorch's AdamW (and this library's) multiplies its weight_decay by the
//    learning rate (p *= 1 - lr * wd), so the trainer gets WeightDecay = lambda / lr. Scanning PyTorch's wd instead would
//    tie the decay to alpha by construction, which is the coupling the paper removes; the run also reports that view
//    (cells (alpha, lambda) re-indexed by wd = lambda / alpha, exact because both axes step by the same factor).
//    The paper's normalized lambda_norm = lambda / sqrt(b / (B T)) differs from lambda by one constant for a fixed batch
//    size, data size and epoch count, so the grid is the same up to axis labels.
// --model resnet swaps the MLP for CifarResNet-20 (batch norm, width 16) from the image trainer on a 4 x 4 grid per
// optimizer (learning rate 1e-3 .. 3.2e-2 in half decades; L2 1e-5 .. 1e-2 in decades; lambda 3.2e-4 .. 1e-2 in half
// decades), 2,000 images, 8 epochs, batch 64, one seed. --optimizers adam|adamw runs one optimizer's grid, so two
// processes can split the work (give them separate --out folders).
// Both use the same cosine schedule, batch size, data, model, initial weights and batch order.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.ML.Trainers.Torch.Search;

var arguments = SampleArguments.Parse(args);
var invariant = CultureInfo.InvariantCulture;
string dataDir = arguments.Get("data-dir", "/usr/share/datasets/fashion-mnist");
string outDir = arguments.Get("out", "decoupled-weight-decay-output");
int trainLimit = int.Parse(arguments.Get("train-limit", "3000"), invariant);
int testLimit = int.Parse(arguments.Get("test-limit", "5000"), invariant);
int epochs = int.Parse(arguments.Get("epochs", "25"), invariant);
int seeds = int.Parse(arguments.Get("seeds", "2"), invariant);
int threads = int.Parse(arguments.Get("threads", "1"), invariant);
int hidden = int.Parse(arguments.Get("hidden", "128"), invariant);
int batchSize = int.Parse(arguments.Get("batch-size", "32"), invariant);
// --model resnet: CifarResNet-20 (base width 16, batch norm) from the image trainer, on a smaller grid (4 x 4 per
// optimizer, one seed); the MLP has no batch norm, and the paper's effect was shown on batch-normalized ResNets.
string modelKind = arguments.Get("model", "mlp");
bool resnet = modelKind switch
{
    "mlp" => false,
    "resnet" => true,
    _ => throw new ArgumentException($"--model must be mlp or resnet (was '{modelKind}')."),
};
if (resnet)
{
    trainLimit = int.Parse(arguments.Get("train-limit", "2000"), invariant);
    epochs = int.Parse(arguments.Get("epochs", "8"), invariant);
    seeds = int.Parse(arguments.Get("seeds", "1"), invariant);
    batchSize = int.Parse(arguments.Get("batch-size", "64"), invariant);
}
// --optimizers adam|adamw|both: one optimizer's grid only, so two processes can share the grid (separate --out folders).
string optimizerChoice = arguments.Get("optimizers", "both");
bool[] decoupledRuns = optimizerChoice switch
{
    "both" => new[] { false, true },
    "adam" => new[] { false },
    "adamw" => new[] { true },
    _ => throw new ArgumentException($"--optimizers must be adam, adamw or both (was '{optimizerChoice}')."),
};
Directory.CreateDirectory(outDir);

// Half-decade grids: 10^(k/2).
double[] learningRates = resnet ? HalfDecades(-6, -3) : HalfDecades(-7, -3);       // ResNet 1e-3 .. 3.2e-2; MLP 3.2e-4 .. 3.2e-2
// Adam-L2's wd (L2 helps Adam little, so the grid reaches lower); ResNet: decades 1e-5 .. 1e-2.
double[] l2Coefficients = resnet ? new[] { 1e-5, 1e-4, 1e-3, 1e-2 } : HalfDecades(-12, -4);
// AdamW's lambda = lr * wd per step; ResNet: 3.2e-4 .. 1e-2 (about 250 steps, so smaller lambdas barely shrink anything).
double[] decoupledFactors = resnet ? HalfDecades(-7, -4) : HalfDecades(-10, -4);

var ml = new MLContext(seed: 1);
IDataView train = LoadFeatures(ml, dataDir, "train", trainLimit);
IDataView test = LoadFeatures(ml, dataDir, "t10k", testLimit);
ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
train = keys.Transform(train);
test = keys.Transform(test);
string modelName = resnet ? "CifarResNet-20 (width 16, batch norm, bf16)" : $"MLP 784-{hidden}-10";
Console.WriteLine($"Fashion-MNIST: {trainLimit} training images, {testLimit} test images; {modelName}, {epochs} epochs, batch {batchSize}, cosine schedule, {seeds} seed(s), {threads} thread(s).");

if (arguments.Has("search"))
{
    // The optimizer search on the same model: which optimizer and hyperparameters win at this budget? Trials are
    // selected on 5,000 training-split images after the first trainLimit (not used for training), then the winner is
    // scored once on the test images.
    int trials = int.Parse(arguments.Get("search", "27"), invariant);
    IDataView validation = keys.Transform(ml.Data.SkipRows(LoadFeatures(ml, dataDir, "train", trainLimit + 5000), trainLimit));
    var experiment = OptimizerExperiment.Create(ml, new MlpOptions { Hidden = hidden, BatchSize = batchSize, Seed = 1, Threads = threads },
        o => new MlpTrainer(ml, o), new OptimizerExperimentOptions
        {
            Seed = 1,
            Budget = new ExperimentBudget { MaxTrials = trials, MinEpochsPerTrial = 1, MaxEpochsPerTrial = epochs, ReductionFactor = 3 },
            TrialCompleted = t => Console.WriteLine(t),
        });
    using OptimizerExperimentResult result = experiment.Run(train, validation);
    Console.Write(LeaderboardFormatter.ToTable(result.Leaderboard));
    var testMetrics = ml.MulticlassClassification.Evaluate(result.BestModel.Transform(test));
    Console.WriteLine($"Winner's test accuracy: {testMetrics.MicroAccuracy:F4} on {testLimit} test images.");
    ExperimentReport.Write(result, Path.Combine(outDir, "search"));
    Console.WriteLine($"Best: {result.BestTrial} ({result.Trials.Count} trials, {result.Seconds / 60:F1} min). Report in {Path.GetFullPath(Path.Combine(outDir, "search"))}.");
    return;
}

var rows = new List<string> { "optimizer,learning_rate,grid_weight_decay,pytorch_weight_decay,decay_per_step,seed,test_accuracy,test_error,test_log_loss,seconds" };
var adamError = Filled(l2Coefficients.Length, learningRates.Length);
var adamwError = Filled(decoupledFactors.Length, learningRates.Length);
var total = Stopwatch.StartNew();
int runs = 0, totalRuns = learningRates.Length * decoupledRuns.Sum(d => d ? decoupledFactors.Length : l2Coefficients.Length) * seeds;
foreach (bool decoupled in decoupledRuns)
{
    double[] grid = decoupled ? decoupledFactors : l2Coefficients;
    for (int j = 0; j < grid.Length; j++)
    {
        for (int i = 0; i < learningRates.Length; i++)
        {
            double lr = learningRates[i];
            double errorSum = 0;
            for (int seed = 1; seed <= seeds; seed++)
            {
                // AdamW gets PyTorch's weight_decay = lambda / lr, so that lr * wd = lambda is the per-step decay factor.
                OptimizerOptions optimizer = decoupled
                    ? new AdamWOptions { LearningRate = lr, WeightDecay = grid[j] / lr }
                    : new AdamOptions { LearningRate = lr, WeightDecay = grid[j] };
                var clock = Stopwatch.StartNew();
                using TorchClassificationTransformer model = resnet
                    ? FitWithRetry(() => ml.MulticlassClassification.Trainers.ImageClassification(ResNetOptions(optimizer, seed)).Fit(train))
                    : FitWithRetry(() => new MlpTrainer(ml, new MlpOptions
                    {
                        Hidden = hidden, Epochs = epochs, BatchSize = batchSize, Optimizer = optimizer,
                        Schedule = new WarmupCosineSchedule(), Seed = seed, Threads = threads,
                    }).Fit(train));
                var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
                double seconds = clock.Elapsed.TotalSeconds;
                errorSum += 1 - metrics.MicroAccuracy;
                runs++;
                rows.Add(string.Join(",", decoupled ? "AdamW" : "Adam-L2", R(lr), R(grid[j]), R(optimizer.WeightDecay),
                    R(decoupled ? grid[j] : double.NaN), seed, R(metrics.MicroAccuracy), R(1 - metrics.MicroAccuracy), R(metrics.LogLoss), seconds.ToString("F2", invariant)));
                Console.WriteLine($"[{runs}/{totalRuns}] {(decoupled ? "AdamW  " : "Adam-L2")} lr={lr:G3} {(decoupled ? "lambda" : "L2")}={grid[j]:G3} seed {seed}: test accuracy {metrics.MicroAccuracy:F4} ({seconds:F1} s, {total.Elapsed.TotalMinutes:F1} min so far)");
            }
            (decoupled ? adamwError : adamError)[j, i] = 100 * errorSum / seeds;
        }
    }
}
File.WriteAllLines(Path.Combine(outDir, "grid.csv"), rows);

// The third view: AdamW's runs indexed by PyTorch's weight_decay = lambda / lr (both axes step by sqrt(10), so
// lambda_j / lr_i = 10^((j - i) / 2) * lambda_0 / lr_0 lands on a half-decade grid).
int torchRows = decoupledFactors.Length + learningRates.Length - 1;
var torchView = new double[torchRows, learningRates.Length];
var torchLabels = new string[torchRows];
for (int r = 0; r < torchRows; r++)
{
    torchLabels[r] = Label(decoupledFactors[0] / learningRates[^1] * Math.Pow(10, r / 2.0));
    for (int i = 0; i < learningRates.Length; i++)
    {
        int j = r - (learningRates.Length - 1 - i);
        torchView[r, i] = j >= 0 && j < decoupledFactors.Length ? adamwError[j, i] : double.NaN;
    }
}

string[] lrLabels = learningRates.Select(Label).ToArray();
var measured = decoupledRuns.Select(d => d ? adamwError : adamError).ToArray();
double lo = measured.Min(Min), hi = Math.Min(measured.Max(Max), lo + 15);
HeatmapChart Chart(double[,] values, string[] rowLabels, string title, string yLabel) => new(values, lrLabels, rowLabels)
{
    Title = title, XLabel = "learning rate", YLabel = yLabel, ValueLabel = "test error (%)", ValueFormat = "F1",
    MarkBestPerColumn = true, LowerIsBetter = true, ColorRange = (lo, hi),
};
var adamChart = Chart(adamError, l2Coefficients.Select(Label).ToArray(), "Adam + L2: test error (%)", "L2 coefficient (wd)");
var adamwChart = Chart(adamwError, decoupledFactors.Select(Label).ToArray(), "AdamW: test error (%)", "decoupled decay per step λ = lr·wd");
var torchChart = Chart(torchView, torchLabels, "AdamW, same runs by PyTorch's wd = λ / lr", "PyTorch weight_decay");
bool ranAdam = decoupledRuns.Contains(false), ranAdamW = decoupledRuns.Contains(true);
if (ranAdam)
{
    adamChart.SavePng(Path.Combine(outDir, "adam-l2.png"), 700, 560);
}
if (ranAdamW)
{
    adamwChart.SavePng(Path.Combine(outDir, "adamw.png"), 700, 560);
    torchChart.SavePng(Path.Combine(outDir, "adamw-pytorch-wd.png"), 700, 700);
}
if (ranAdam && ranAdamW)
{
    HeatmapChart.SaveSideBySide(Path.Combine(outDir, "decoupled-weight-decay.png"), new[] { adamChart, adamwChart }, 640, 520);
}

Console.WriteLine();
Console.WriteLine("Best weight decay per learning rate (red boxes in the figures):");
if (ranAdam)
{
    Report("Adam-L2 (L2 coefficient)", adamError, l2Coefficients);
    Console.WriteLine($"Best Adam-L2 test error {Min(adamError):F2}%.");
}
if (ranAdamW)
{
    Report("AdamW (lambda = lr * wd)", adamwError, decoupledFactors);
    Report("AdamW (PyTorch wd)", torchView, Enumerable.Range(0, torchRows).Select(r => decoupledFactors[0] / learningRates[^1] * Math.Pow(10, r / 2.0)).ToArray());
    Console.WriteLine($"Best AdamW test error {Min(adamwError):F2}%.");
}
Console.WriteLine($"{runs} runs in {total.Elapsed.TotalMinutes:F1} min. Wrote {Path.GetFullPath(outDir)}.");

// The ResNet recipe: CifarResNet-20 at base width 16 (widths must be multiples of 16: libtorch's CPU convolution
// backward is wrong otherwise), mixed bfloat16, no augmentation, cosine schedule without warmup, and weight decay on
// every weight (biases and batch-norm parameters included), as in the paper.
ImageClassificationTrainerOptions ResNetOptions(OptimizerOptions optimizer, int seed) => new()
{
    ImageColumnName = "Features", ImageChannels = 1, ImageHeight = 28, ImageWidth = 28,
    Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16,
    Epochs = epochs, BatchSize = batchSize, Augment = false,
    NormalizationMean = new[] { 0.286f }, NormalizationStd = new[] { 0.353f },
    Optimizer = optimizer, Schedule = new WarmupCosineSchedule(), NoWeightDecayForBiasAndNorm = false,
    Precision = TrainingPrecision.MixedBFloat16, Seed = seed, Threads = threads,
};

void Report(string name, double[,] error, double[] decays)
{
    var best = new List<double>();
    for (int i = 0; i < learningRates.Length; i++)
    {
        int bestRow = -1;
        for (int r = 0; r < error.GetLength(0); r++)
        {
            if (!double.IsNaN(error[r, i]) && (bestRow < 0 || error[r, i] < error[bestRow, i]))
            {
                bestRow = r;
            }
        }
        best.Add(decays[bestRow]);
        Console.WriteLine($"  {name,-26} lr={learningRates[i]:G3}: best decay {decays[bestRow]:G3} (test error {error[bestRow, i]:F2}%)");
    }
    double spread = Math.Log10(best.Max() / best.Min());
    Console.WriteLine($"  {name,-26} the best decay spans {spread:F1} decades over a {Math.Log10(learningRates[^1] / learningRates[0]):F0}-decade learning-rate range.");
}

// A run seen once on this machine to fail inside libtorch with a corrupted Scalar in the optimizer's portable Adam path
// ("Expected false to be true" from c10::Scalar::toFloat), not reproducibly; one retry of the same seeded run keeps the
// grid going and is reported, so a persistent failure still stops the sample.
static TorchClassificationTransformer FitWithRetry(Func<TorchClassificationTransformer> fit)
{
    try
    {
        return fit();
    }
    catch (System.Runtime.InteropServices.ExternalException ex)
    {
        Console.WriteLine($"  libtorch error, retrying once: {ex.Message.Split('\n')[0]}");
        return fit();
    }
}

static double[,] Filled(int rows, int columns)
{
    var a = new double[rows, columns];
    for (int r = 0; r < rows; r++)
    {
        for (int c = 0; c < columns; c++)
        {
            a[r, c] = double.NaN;
        }
    }
    return a;
}

static double[] HalfDecades(int from, int to) => Enumerable.Range(from, to - from + 1).Select(k => Math.Pow(10, k / 2.0)).ToArray();
static string Label(double v) => v.ToString("G2", CultureInfo.InvariantCulture);
static string R(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
static double Min(double[,] a) => a.Cast<double>().Where(v => !double.IsNaN(v)).Min();
static double Max(double[,] a) => a.Cast<double>().Where(v => !double.IsNaN(v)).Max();

static IDataView LoadFeatures(MLContext ml, string dir, string split, int limit)
{
    string images = Path.Combine(dir, $"{split}-images-idx3-ubyte.gz");
    if (!File.Exists(images))
    {
        throw new FileNotFoundException($"'{images}' is missing: install the Debian package dataset-fashion-mnist (run.sh does) or pass --data-dir.", images);
    }
    var (pixels, count, height, width) = IdxFile.ReadImages(images, limit);
    byte[] labels = IdxFile.ReadLabels(Path.Combine(dir, $"{split}-labels-idx1-ubyte.gz"), limit);
    int size = height * width;
    var rows = Enumerable.Range(0, count).Select(i => new FeatureRow
    {
        Label = labels[i].ToString(CultureInfo.InvariantCulture),
        Features = pixels.AsSpan(i * size, size).ToArray().Select(b => b / 255f).ToArray(),
    }).ToArray();
    return ml.Data.LoadFromEnumerable(rows);
}

/// <summary>One image as 784 floats in [0, 1] and its class.</summary>
internal sealed class FeatureRow
{
    public string Label { get; set; } = "";

    [VectorType(28 * 28)]
    public float[] Features { get; set; } = Array.Empty<float>();
}
