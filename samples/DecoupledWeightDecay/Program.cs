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
using System.CommandLine;
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
using Samples.Support;

var dataDirOption = new Option<string>("--data-dir") { Description = "Folder of the Fashion-MNIST IDX files.", DefaultValueFactory = _ => FashionMnistData.DefaultFolder };
var outOption = new Option<string>("--out") { Description = "Output folder (grid.csv, heatmaps, summary.txt).", DefaultValueFactory = _ => "decoupled-weight-decay-output" };
var modelOption = new Option<string>("--model") { Description = "mlp (no normalization), bn-mlp (the README's figure) or resnet (CifarResNet-20).", DefaultValueFactory = _ => "mlp" };
modelOption.AcceptOnlyFromAmong("mlp", "bn-mlp", "resnet");
var optimizersOption = new Option<string>("--optimizers") { Description = "Train one optimizer's grid only, so two processes can share the work (separate --out folders).", DefaultValueFactory = _ => "both" };
optimizersOption.AcceptOnlyFromAmong("adam", "adamw", "both");
// Defaults that depend on --model are resolved below; null means "the model's default".
var trainLimitOption = new Option<int?>("--train-limit") { Description = "Training images (default: mlp 3,000; bn-mlp 10,000; resnet 2,000)." };
var testLimitOption = new Option<int?>("--test-limit") { Description = "Test images (default: 5,000; bn-mlp 10,000)." };
var epochsOption = new Option<int?>("--epochs") { Description = "Epochs per run (default: mlp 25, bn-mlp 20, resnet 8)." };
var seedsOption = new Option<int?>("--seeds") { Description = "Seeds per cell (default: 2; resnet 1)." };
var threadsOption = new Option<int?>("--threads") { Description = "libtorch threads (default: 1; bn-mlp 2)." };
var hiddenOption = new Option<int?>("--hidden") { Description = "Hidden width (default: 128; bn-mlp 256)." };
var hiddenLayersOption = new Option<int?>("--hidden-layers") { Description = "Hidden layers (default: 1; bn-mlp 2)." };
var batchSizeOption = new Option<int?>("--batch-size") { Description = "Batch size (default: 32; bn-mlp 128; resnet 64)." };
var learningRatesOption = new Option<string?>("--learning-rates") { Description = "Comma-separated learning rates (default: half decades)." };
var l2Option = new Option<string?>("--l2") { Description = "Comma-separated Adam-L2 coefficients." };
var lambdasOption = new Option<string?>("--lambdas") { Description = "Comma-separated AdamW per-step decays lambda = lr * wd." };
var replotOption = new Option<string?>("--replot") { Description = "Redraw the figures and summary from an earlier grid.csv, without training." };
var searchOption = new Option<int?>("--search") { Description = "Run the optimizer search with this many trials instead of the grid (the README uses 27)." };
var command = new RootCommand("Loshchilov & Hutter's decoupled-weight-decay grid (Adam-L2 vs AdamW) on Fashion-MNIST, or the optimizer search on the same model.")
{
    dataDirOption, outOption, modelOption, optimizersOption, trainLimitOption, testLimitOption, epochsOption, seedsOption, threadsOption,
    hiddenOption, hiddenLayersOption, batchSizeOption, learningRatesOption, l2Option, lambdasOption, replotOption, searchOption,
};
ParseResult arguments = command.Parse(args);
if (arguments.Action is not null)
{
    // --help, or an error in the arguments: System.CommandLine prints it.
    return arguments.Invoke();
}
var invariant = CultureInfo.InvariantCulture;
string dataDir = arguments.GetRequiredValue(dataDirOption);
string outDir = arguments.GetRequiredValue(outOption);
// --model bn-mlp: two hidden layers of 256 with batch norm, 10,000 images, 20 epochs, batch 128 (1,580 steps), two seeds,
// two threads: batch norm makes every hidden weight row scale-invariant, so weight decay sets the effective learning rate,
// and the runs are long enough for the larger decays to settle the weight norms. --model resnet: CifarResNet-20 (base width 16, batch norm) from the image
// trainer, on a smaller grid (4 x 4 per optimizer, one seed); too slow here to train long enough for decay to matter.
string modelKind = arguments.GetRequiredValue(modelOption);
bool resnet = modelKind == "resnet", batchNorm = modelKind == "bn-mlp";
int trainLimit = arguments.GetValue(trainLimitOption) ?? (batchNorm ? 10000 : resnet ? 2000 : 3000);
int testLimit = arguments.GetValue(testLimitOption) ?? (batchNorm ? 10000 : 5000);
int epochs = arguments.GetValue(epochsOption) ?? (batchNorm ? 20 : resnet ? 8 : 25);
int seeds = arguments.GetValue(seedsOption) ?? (resnet ? 1 : 2);
int threads = arguments.GetValue(threadsOption) ?? (batchNorm ? 2 : 1);
int hidden = arguments.GetValue(hiddenOption) ?? (batchNorm ? 256 : 128);
int hiddenLayers = arguments.GetValue(hiddenLayersOption) ?? (batchNorm ? 2 : 1);
int batchSize = arguments.GetValue(batchSizeOption) ?? (batchNorm ? 128 : resnet ? 64 : 32);
bool[] decoupledRuns = arguments.GetRequiredValue(optimizersOption) switch
{
    "adam" => new[] { false },
    "adamw" => new[] { true },
    _ => new[] { false, true },
};
Directory.CreateDirectory(outDir);
if (arguments.GetValue(replotOption) is string replot)
{
    // Redraws the figures and the summary from a grid.csv of an earlier run, without training.
    GridReport.Write(GridRun.ReadCsv(replot), outDir);
    return 0;
}

// Half-decade grids: 10^(k/2); --learning-rates, --l2 and --lambdas (comma-separated) override them.
double[] learningRates = Grid(learningRatesOption, resnet ? HalfDecades(-6, -3) : batchNorm ? HalfDecades(-8, -3) : HalfDecades(-7, -3));
// Adam-L2's wd (L2 helps Adam little, so the grid reaches lower); ResNet: decades 1e-5 .. 1e-2.
double[] l2Coefficients = Grid(l2Option, resnet ? new[] { 1e-5, 1e-4, 1e-3, 1e-2 } : batchNorm ? HalfDecades(-10, -2) : HalfDecades(-12, -4));
// AdamW's lambda = lr * wd per step; ResNet: 3.2e-4 .. 1e-2 (about 250 steps, so smaller lambdas barely shrink anything).
// bn-mlp: up to 0.32, past the optimum of the larger learning rates.
double[] decoupledFactors = Grid(lambdasOption, resnet ? HalfDecades(-7, -4) : batchNorm ? HalfDecades(-8, -1) : HalfDecades(-10, -4));

var ml = new MLContext(seed: 1);
IDataView train = FashionMnistData.Load(ml, dataDir, "train", trainLimit, "Features");
IDataView test = FashionMnistData.Load(ml, dataDir, "t10k", testLimit, "Features");
ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
train = keys.Transform(train);
test = keys.Transform(test);
string modelName = resnet ? "CifarResNet-20 (width 16, batch norm, bf16)"
    : $"MLP 784-{string.Join("-", Enumerable.Repeat(hidden, hiddenLayers))}-10{(batchNorm ? " with batch norm" : "")}";
Console.WriteLine($"Fashion-MNIST: {trainLimit} training images, {testLimit} test images; {modelName}, {epochs} epochs, batch {batchSize}, cosine schedule, {seeds} seed(s), {threads} thread(s).");

if (arguments.GetValue(searchOption) is int trials)
{
    // The optimizer search on the same model: which optimizer and hyperparameters win at this budget? Trials are
    // selected on 5,000 training-split images after the first trainLimit (not used for training), then the winner is
    // scored once on the test images.
    IDataView validation = keys.Transform(ml.Data.SkipRows(FashionMnistData.Load(ml, dataDir, "train", trainLimit + 5000, "Features"), trainLimit));
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
    return 0;
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
return 0;

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

double[] Grid(Option<string?> option, double[] fallback) => arguments.GetValue(option) is string list
    ? list.Split(',').Select(v => double.TryParse(v, NumberStyles.Float, invariant, out double x) && x > 0
        ? x : throw new ArgumentException($"{option.Name} takes comma-separated positive numbers; '{v}' is not one.")).ToArray()
    : fallback;

static double[] HalfDecades(int from, int to) => Enumerable.Range(from, to - from + 1).Select(k => Math.Pow(10, k / 2.0)).ToArray();
