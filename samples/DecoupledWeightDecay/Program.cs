// Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), figure 2, on Fashion-MNIST:
// with Adam + L2 the best weight decay moves with the learning rate; with AdamW it stays put.
//
// Grids (documented in the top-level README): learning rate alpha in half decades for both optimizers.
//  - Adam-L2: the L2 coefficient (added to the gradient, g += wd * p), half decades.
//  - AdamW: the paper's decoupled factor lambda, the fraction of every weight removed per step at the schedule's peak
//    (x <- x - eta_t * lambda * x), half decades. PyTorch's AdamW (and this library's) multiplies its weight_decay by the
//    learning rate (p *= 1 - lr * wd), so the trainer gets WeightDecay = lambda / lr. The report also shows the same runs
//    by PyTorch's weight_decay, the parameter users of this library tune.
//    The paper's normalized lambda_norm = lambda / sqrt(b / (B T)) differs from lambda by one constant for a fixed batch
//    size, data size and epoch count, so the grid is the same up to axis labels.
// Models (--model): mlp (one hidden layer, no normalization), bn-mlp (hidden layers with batch norm, where weight decay
// sets the effective learning rate of every scale-invariant weight row, as in the paper's ResNets) and resnet
// (CifarResNet-20 from the image trainer; too slow on two cores to train long enough for decay to matter).
// Both optimizers use the same cosine schedule, batch size, data, model, initial weights and batch order.
// The report (GridReport) gives test error and test log-loss heatmaps and, per view, how fast the best decay moves with
// the learning rate; --replot grid.csv redraws it from an earlier run. --optimizers adam|adamw runs one optimizer's grid,
// so two processes can split the work (give them separate --out folders).
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
// --model bn-mlp: two hidden layers of 256 with batch norm, 10,000 images, 20 epochs, batch 128 (1,580 steps), two seeds,
// two threads: batch norm makes every hidden weight row scale-invariant, so weight decay sets the effective learning rate,
// and the runs are long enough for the larger decays to settle the weight norms. --model resnet: CifarResNet-20 (base width 16, batch norm) from the image
// trainer, on a smaller grid (4 x 4 per optimizer, one seed); too slow here to train long enough for decay to matter.
string modelKind = arguments.Get("model", "mlp");
if (modelKind is not ("mlp" or "bn-mlp" or "resnet"))
{
    throw new ArgumentException($"--model must be mlp, bn-mlp or resnet (was '{modelKind}').");
}
bool resnet = modelKind == "resnet", batchNorm = modelKind == "bn-mlp";
int hiddenLayers = int.Parse(arguments.Get("hidden-layers", batchNorm ? "2" : "1"), invariant);
if (batchNorm)
{
    trainLimit = int.Parse(arguments.Get("train-limit", "10000"), invariant);
    testLimit = int.Parse(arguments.Get("test-limit", "10000"), invariant);
    epochs = int.Parse(arguments.Get("epochs", "20"), invariant);
    seeds = int.Parse(arguments.Get("seeds", "2"), invariant);
    hidden = int.Parse(arguments.Get("hidden", "256"), invariant);
    batchSize = int.Parse(arguments.Get("batch-size", "128"), invariant);
    threads = int.Parse(arguments.Get("threads", "2"), invariant);
}
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
if (arguments.Has("replot"))
{
    // Redraws the figures and the summary from a grid.csv of an earlier run, without training.
    GridReport.Write(GridRun.ReadCsv(arguments.Get("replot", "")), outDir);
    return;
}

// Half-decade grids: 10^(k/2); --learning-rates, --l2 and --lambdas (comma-separated) override them.
double[] learningRates = Grid("learning-rates", resnet ? HalfDecades(-6, -3) : batchNorm ? HalfDecades(-8, -3) : HalfDecades(-7, -3));
// Adam-L2's wd (L2 helps Adam little, so the grid reaches lower); ResNet: decades 1e-5 .. 1e-2.
double[] l2Coefficients = Grid("l2", resnet ? new[] { 1e-5, 1e-4, 1e-3, 1e-2 } : batchNorm ? HalfDecades(-10, -2) : HalfDecades(-12, -4));
// AdamW's lambda = lr * wd per step; ResNet: 3.2e-4 .. 1e-2 (about 250 steps, so smaller lambdas barely shrink anything).
// bn-mlp: up to 0.32, past the optimum of the larger learning rates.
double[] decoupledFactors = Grid("lambdas", resnet ? HalfDecades(-7, -4) : batchNorm ? HalfDecades(-8, -1) : HalfDecades(-10, -4));

var ml = new MLContext(seed: 1);
IDataView train = LoadFeatures(ml, dataDir, "train", trainLimit);
IDataView test = LoadFeatures(ml, dataDir, "t10k", testLimit);
ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
train = keys.Transform(train);
test = keys.Transform(test);
string modelName = resnet ? "CifarResNet-20 (width 16, batch norm, bf16)"
    : $"MLP 784-{string.Join("-", Enumerable.Repeat(hidden, hiddenLayers))}-10{(batchNorm ? " with batch norm" : "")}";
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

var runs = new List<GridRun>();
var total = Stopwatch.StartNew();
int totalRuns = learningRates.Length * decoupledRuns.Sum(d => d ? decoupledFactors.Length : l2Coefficients.Length) * seeds;
foreach (bool decoupled in decoupledRuns)
{
    foreach (double decay in decoupled ? decoupledFactors : l2Coefficients)
    {
        foreach (double lr in learningRates)
        {
            for (int seed = 1; seed <= seeds; seed++)
            {
                // AdamW gets PyTorch's weight_decay = lambda / lr, so that lr * wd = lambda is the per-step decay factor.
                OptimizerOptions optimizer = decoupled
                    ? new AdamWOptions { LearningRate = lr, WeightDecay = decay / lr }
                    : new AdamOptions { LearningRate = lr, WeightDecay = decay };
                var clock = Stopwatch.StartNew();
                using TorchClassificationTransformer model = resnet
                    ? ml.MulticlassClassification.Trainers.ImageClassification(ResNetOptions(optimizer, seed)).Fit(train)
                    : new MlpTrainer(ml, new MlpOptions
                    {
                        Hidden = hidden, HiddenLayers = hiddenLayers, BatchNorm = batchNorm, Epochs = epochs, BatchSize = batchSize,
                        Optimizer = optimizer, Schedule = new WarmupCosineSchedule(), Seed = seed, Threads = threads,
                    }).Fit(train);
                var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
                var run = new GridRun(decoupled ? GridRun.AdamW : GridRun.AdamL2, lr, decay, optimizer.WeightDecay, seed,
                    metrics.MicroAccuracy, metrics.LogLoss, clock.Elapsed.TotalSeconds);
                runs.Add(run);
                Console.WriteLine($"[{runs.Count}/{totalRuns}] {run.Optimizer,-7} lr={lr:G3} {(decoupled ? "lambda" : "L2")}={decay:G3} seed {seed}: test accuracy {run.TestAccuracy:F4}, log-loss {run.TestLogLoss:F4} ({run.Seconds:F1} s, {total.Elapsed.TotalMinutes:F1} min so far)");
            }
        }
    }
    // Written after each optimizer's grid, so a long run that dies keeps what it measured (--replot draws it).
    GridRun.WriteCsv(Path.Combine(outDir, "grid.csv"), runs);
}
GridReport.Write(runs, outDir);
Console.WriteLine($"Wrote {Path.GetFullPath(outDir)} in {total.Elapsed.TotalMinutes:F1} min.");

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

double[] Grid(string name, double[] fallback) => arguments.Has(name)
    ? arguments.Get(name, "").Split(',').Select(v => double.TryParse(v, NumberStyles.Float, invariant, out double x) && x > 0
        ? x : throw new ArgumentException($"--{name} takes comma-separated positive numbers; '{v}' is not one.")).ToArray()
    : fallback;

static double[] HalfDecades(int from, int to) => Enumerable.Range(from, to - from + 1).Select(k => Math.Pow(10, k / 2.0)).ToArray();

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
