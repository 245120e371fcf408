// The claims this project started from about AdamW and SGD-momentum (and the large-batch claim of LAMB and LARS), measured on Fashion-MNIST
// with the same models as the other samples:
//  --claim lr-sweep     (c) AdamW is less sensitive to the learning rate: test accuracy over a wide log grid of learning
//                       rates for SGD-m, AdamW, Lion and Schedule-Free AdamW, and the width of the band within 1 point
//                       of each optimizer's best (LAMB and LARS too, for the large-batch claim's starting rates). Model:
//                       the batch-norm MLP of samples/DecoupledWeightDecay.
//  --claim large-batch  LAMB and LARS keep accuracy at large batches where AdamW and SGD-m lose it: batch 128 to 4,096 at
//                       a fixed epoch budget, learning rate scaled linearly (or, --scaling sqrt, by the square root of the
//                       batch ratio, as the LAMB paper does) from its batch-128 value (--base-from: the
//                       best of an lr-sweep, so that every optimizer starts tuned). Same MLP, all 60,000 images.
//  --claim curves       (b) AdamW makes faster early progress, tuned SGD-m generalizes as well or better on the CNN: test
//                       accuracy and loss after every epoch of the Fashion-MNIST sample's ResNet, both optimizers at the
//                       same budget (epochs, batch, schedule), with their recipes from the samples' --optimizer flag.
// Every setting runs for each seed; the report averages over seeds and gives the seed noise. Weight decay, schedule and
// everything else stay at the optimizer's recipe, so only the swept quantity changes.
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
using Samples.Support;

var claimOption = new Option<string>("--claim") { Description = "lr-sweep, large-batch or curves.", Required = true };
claimOption.AcceptOnlyFromAmong("lr-sweep", "large-batch", "curves");
var dataDirOption = new Option<string>("--data-dir") { Description = "Folder of the Fashion-MNIST IDX files.", DefaultValueFactory = _ => FashionMnistData.DefaultFolder };
var outOption = new Option<string?>("--out") { Description = "Output folder (default: optimizer-claims-output/<claim>)." };
var seedsOption = new Option<int>("--seeds") { Description = "Seeds per setting.", DefaultValueFactory = _ => 2 };
var threadsOption = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 2 };
// Defaults that depend on the claim are resolved below; null means "the claim's default".
var epochsOption = new Option<int?>("--epochs") { Description = "Epochs per run (default: lr-sweep 20, large-batch 10, curves 15)." };
var trainLimitOption = new Option<int?>("--train-limit") { Description = "Training images (default: lr-sweep 10,000; large-batch 60,000; curves 10,000)." };
var optimizersOption = new Option<string?>("--optimizers") { Description = "Comma-separated --optimizer names (default: lr-sweep sgdm,adamw,lion,schedulefree,lamb,lars; large-batch lamb,lars,adamw,sgdm; curves sgdm,adamw)." };
var learningRatesOption = new Option<string?>("--learning-rates") { Description = "lr-sweep: comma-separated learning rates (default: half decades 1e-5 .. 1)." };
var batchSizesOption = new Option<string?>("--batch-sizes") { Description = "large-batch: comma-separated batch sizes (default: 128,256,512,1024,2048,4096)." };
var baseFromOption = new Option<string?>("--base-from") { Description = "large-batch: take each optimizer's batch-128 learning rate from the best of an lr-sweep runs.csv (default: the --optimizer recipe's)." };
var scalingOption = new Option<string>("--scaling") { Description = "large-batch: how the learning rate grows with the batch: linear (Goyal et al.) or sqrt (the LAMB paper's).", DefaultValueFactory = _ => "linear" };
scalingOption.AcceptOnlyFromAmong("linear", "sqrt");
var replotOption = new Option<string?>("--replot") { Description = "Redraw the figure and summary from an earlier runs.csv, without training." };
var command = new RootCommand("The optimizer claims this project started from, measured on Fashion-MNIST: learning-rate sensitivity, large batches, learning curves.")
{
    claimOption, dataDirOption, outOption, seedsOption, threadsOption, epochsOption, trainLimitOption, optimizersOption,
    learningRatesOption, batchSizesOption, baseFromOption, scalingOption, replotOption,
};
ParseResult arguments = command.Parse(args);
if (arguments.Action is not null)
{
    // --help, or an error in the arguments: System.CommandLine prints it.
    return arguments.Invoke();
}
var invariant = CultureInfo.InvariantCulture;
string claim = arguments.GetRequiredValue(claimOption);
string outDir = arguments.GetValue(outOption) ?? Path.Combine("optimizer-claims-output", claim);
Directory.CreateDirectory(outDir);
Func<IReadOnlyList<ClaimRun>, string, string> report = claim switch
{
    "lr-sweep" => ClaimReport.LearningRateSweep,
    "large-batch" => ClaimReport.LargeBatch,
    _ => ClaimReport.Curves,
};
if (arguments.GetValue(replotOption) is string replot)
{
    Console.Write(report(ClaimRun.ReadCsv(replot), outDir));
    return 0;
}

int seeds = Positive(arguments.GetRequiredValue(seedsOption), seedsOption.Name);
int threads = Positive(arguments.GetRequiredValue(threadsOption), threadsOption.Name);
int epochs = Positive(arguments.GetValue(epochsOption) ?? (claim == "lr-sweep" ? 20 : claim == "large-batch" ? 10 : 15), epochsOption.Name);
int trainLimit = Positive(arguments.GetValue(trainLimitOption) ?? (claim == "large-batch" ? 60000 : 10000), trainLimitOption.Name);
string[] optimizers = (arguments.GetValue(optimizersOption) ?? claim switch
{
    "lr-sweep" => "sgdm,adamw,lion,schedulefree,lamb,lars",
    "large-batch" => "lamb,lars,adamw,sgdm",
    _ => "sgdm,adamw",
}).Split(',');
foreach (string name in optimizers)
{
    // Fails here, naming the flag, rather than after the first runs.
    OptimizerFlag.Create(name);
}
double[] learningRates = List(learningRatesOption, Enumerable.Range(-10, 11).Select(k => Math.Pow(10, k / 2.0)).ToArray());
double[] batchSizeList = List(batchSizesOption, new double[] { 128, 256, 512, 1024, 2048, 4096 });
if (claim == "large-batch" && batchSizeList.Any(b => b != Math.Floor(b) || b > trainLimit))
{
    throw new ArgumentException($"{batchSizesOption.Name} takes whole numbers no larger than the {trainLimit} training images.");
}
int[] batchSizes = batchSizeList.Select(b => (int)b).ToArray();
IReadOnlyDictionary<string, double> baseLearningRates = arguments.GetValue(baseFromOption) is string sweepCsv
    ? ClaimRun.BestLearningRates(ClaimRun.ReadCsv(sweepCsv))
    : optimizers.ToDictionary(o => o, o => OptimizerFlag.Create(o).LearningRate, StringComparer.OrdinalIgnoreCase);
if (claim == "large-batch" && optimizers.FirstOrDefault(o => !baseLearningRates.ContainsKey(o)) is string unswept)
{
    throw new ArgumentException($"{baseFromOption.Name} '{arguments.GetValue(baseFromOption)}' has no runs of '{unswept}'.");
}

var ml = new MLContext(seed: 1);
IDataView train = FashionMnistData.Load(ml, arguments.GetRequiredValue(dataDirOption), "train", trainLimit, "Features");
IDataView test = FashionMnistData.Load(ml, arguments.GetRequiredValue(dataDirOption), "t10k", null, "Features");
ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
train = ml.Data.Cache(keys.Transform(train));
test = ml.Data.Cache(keys.Transform(test));
Console.WriteLine($"Fashion-MNIST: {trainLimit} training images, 10000 test images; claim {claim}, {epochs} epochs, {seeds} seed(s), {threads} thread(s).");

var runs = new List<ClaimRun>();
var total = Stopwatch.StartNew();
// One (optimizer, learning rate, batch size) per setting; the learning rate is null for the recipe's own.
var settings = claim switch
{
    "lr-sweep" => optimizers.SelectMany(o => learningRates.Select(lr => (Optimizer: o, LearningRate: (double?)lr, BatchSize: 128))).ToList(),
    // Linear scaling (Goyal et al. 2017): the batch-128 rate times batch / 128; sqrt (You et al. 2020, LAMB): times its square root.
    "large-batch" => optimizers.SelectMany(o => batchSizes.Select(b => (Optimizer: o, LearningRate: (double?)(baseLearningRates[o]
        * (arguments.GetRequiredValue(scalingOption) == "sqrt" ? Math.Sqrt(b / 128.0) : b / 128.0)), BatchSize: b))).ToList(),
    _ => optimizers.Select(o => (Optimizer: o, LearningRate: (double?)null, BatchSize: 128)).ToList(),
};
foreach (var setting in settings)
{
    for (int seed = 1; seed <= seeds; seed++)
    {
        OptimizerOptions optimizer = OptimizerFlag.Create(setting.Optimizer);
        optimizer.LearningRate = setting.LearningRate ?? optimizer.LearningRate;
        var clock = Stopwatch.StartNew();
        var epochRuns = new List<ClaimRun>();
        try
        {
            if (claim == "curves")
            {
                // The test images are the validation set only to record the curves; nothing is selected on them.
                ImageClassificationTrainerOptions options = CnnOptions(optimizer, seed);
                options.ValidationSet = test;
                options.RestoreBestEpoch = false;
                options.EpochCallback = e => epochRuns.Add(new ClaimRun(setting.Optimizer, optimizer.LearningRate, setting.BatchSize, seed, e.Epoch,
                    e.ValidationAccuracy!.Value, e.ValidationLoss!.Value, clock.Elapsed.TotalSeconds));
                using TorchClassificationTransformer _ = ml.MulticlassClassification.Trainers.ImageClassification(options).Fit(train);
            }
            else
            {
                using TorchClassificationTransformer model = new MlpTrainer(ml, MlpRecipe(optimizer, setting.BatchSize, seed)).Fit(train);
                var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
                epochRuns.Add(new ClaimRun(setting.Optimizer, optimizer.LearningRate, setting.BatchSize, seed, epochs,
                    metrics.MicroAccuracy, metrics.LogLoss, clock.Elapsed.TotalSeconds));
            }
        }
        catch (TrainingDivergedException ex)
        {
            // A setting too aggressive to train is a result of the sweep, not a failure of it.
            Console.WriteLine($"  diverged: {ex.Message}");
            epochRuns.Add(new ClaimRun(setting.Optimizer, optimizer.LearningRate, setting.BatchSize, seed, epochs, double.NaN, double.NaN, clock.Elapsed.TotalSeconds));
        }
        runs.AddRange(epochRuns);
        ClaimRun last = epochRuns[^1];
        Console.WriteLine(string.Create(invariant, $"{setting.Optimizer,-12} lr={last.LearningRate:G3} batch={last.BatchSize} seed={seed}: test accuracy {last.TestAccuracy:F4}, log-loss {last.TestLogLoss:F4} ({last.Seconds:F1} s, {total.Elapsed.TotalMinutes:F1} min so far)"));
        ClaimRun.WriteCsv(Path.Combine(outDir, "runs.csv"), runs);
    }
}
Console.Write(report(runs, outDir));
Console.WriteLine($"Wrote {Path.GetFullPath(outDir)} in {total.Elapsed.TotalMinutes:F1} min.");
return 0;

// The batch-norm MLP of samples/DecoupledWeightDecay (784-256-256-10, batch norm after each hidden layer): every run
// trains in seconds, so a sweep of a hundred runs fits in minutes. Schedule-Free AdamW runs without a schedule (its own
// warmup over the first 5% of steps), the others with 3% warmup and cosine decay.
MlpOptions MlpRecipe(OptimizerOptions optimizer, int batchSize, int seed)
{
    long steps = (long)Math.Ceiling(trainLimit / (double)batchSize) * epochs;
    if (optimizer is ScheduleFreeAdamWOptions scheduleFree)
    {
        scheduleFree.WarmupSteps = (long)Math.Ceiling(0.05 * steps);
    }
    return new MlpOptions
    {
        Hidden = 256, HiddenLayers = 2, BatchNorm = true, Epochs = epochs, BatchSize = batchSize, Optimizer = optimizer,
        Schedule = optimizer is ScheduleFreeAdamWOptions ? new ConstantSchedule() : new WarmupCosineSchedule { WarmupRatio = 0.03 },
        Seed = seed, Threads = threads,
    };
}

// The Fashion-MNIST sample's recipe (samples/FashionMnist/FashionMnistRecipe.cs, linked).
ImageClassificationTrainerOptions CnnOptions(OptimizerOptions optimizer, int seed)
{
    ImageClassificationTrainerOptions options = FashionMnistRecipe.Options("Features", epochs);
    options.Optimizer = optimizer;
    options.Seed = seed;
    options.Threads = threads;
    return options;
}

double[] List(Option<string?> option, double[] fallback) => arguments.GetValue(option) is string list
    ? list.Split(',').Select(v => double.TryParse(v, NumberStyles.Float, invariant, out double x) && x > 0
        ? x : throw new ArgumentException($"{option.Name} takes comma-separated positive numbers; '{v}' is not one.")).ToArray()
    : fallback;

static int Positive(int value, string name) => value > 0 ? value : throw new ArgumentException($"{name} must be positive (was {value}).");
