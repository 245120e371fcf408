// Side by side on the same Fashion-MNIST subset (the first N training images; the 10k test images):
//   featurizer  ML.NET's own transfer learning: DnnFeaturizeImage ResNet18 features (upscaled to 224x224 bilinearly,
//               as ResizeImages would; ONNX Runtime), min-max
//               normalized, then SdcaMaximumEntropy (the features are computed once, through a cache checkpoint);
//   fine-tune   ours: the same pretrained network (DnnImageModels/ResNet18Onnx/ResNet18.onnx) imported and fine-tuned
//               end to end, new head, at --fine-tune-size (64) pixels, mixed bfloat16, SGD with Nesterov momentum;
//   scratch     ours from scratch: the FashionMnist sample's recipe (CIFAR ResNet-18, width 16, 28x28 grayscale).
// Each prints "approach=<name> train_images=<N> accuracy=<test accuracy> fit_seconds=<s> score_seconds=<s>", where
// fit_seconds is Fit (for the featurizer, featurizing the training images included) and score_seconds is scoring
// and evaluating the 10k test images. The 28x28 images are replicated to 3 channels and upscaled where the pretrained
// network needs it. The settings were fixed before measuring, not tuned on the test images.
//   dotnet run -c Release --project samples/FashionMnistTransfer -- --train-limit 1000|10000
//        [--approach all|featurizer|fine-tune|scratch] [--fine-tune-size S] [--fine-tune-epochs N] [--scratch-epochs N]
//        [--test-limit N]
using System;
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

var dataDirOption = new Option<string>("--data-dir") { Description = "Folder of the Fashion-MNIST IDX files.", DefaultValueFactory = _ => FashionMnistData.DefaultFolder };
var trainLimitOption = new Option<int>("--train-limit") { Description = "Train on the first N training images.", DefaultValueFactory = _ => 1000 };
var testLimitOption = new Option<int?>("--test-limit") { Description = "Evaluate on the first N test images only (a quick check; the comparison uses all 10k)." };
var approachOption = new Option<string>("--approach") { Description = "featurizer, fine-tune, scratch or all.", DefaultValueFactory = _ => "all" };
approachOption.AcceptOnlyFromAmong("all", "featurizer", "fine-tune", "scratch");
var sizeOption = new Option<int>("--fine-tune-size") { Description = "Input side for fine-tuning (the images are upscaled to it).", DefaultValueFactory = _ => 64 };
var fineTuneEpochsOption = new Option<int>("--fine-tune-epochs") { Description = "Fine-tuning epochs.", DefaultValueFactory = _ => 10 };
var scratchEpochsOption = new Option<int>("--scratch-epochs") { Description = "From-scratch epochs.", DefaultValueFactory = _ => 30 };
var command = new RootCommand("Compares ML.NET's DnnFeaturizeImage + SDCA, our fine-tuning of the same ResNet-18, and our training from scratch on Fashion-MNIST.")
{
    dataDirOption, trainLimitOption, testLimitOption, approachOption, sizeOption, fineTuneEpochsOption, scratchEpochsOption,
};
ParseResult arguments = command.Parse(args);
if (arguments.Action is not null)
{
    return arguments.Invoke();
}
string dataDir = arguments.GetRequiredValue(dataDirOption);
int trainLimit = arguments.GetValue(trainLimitOption);
string approach = arguments.GetRequiredValue(approachOption);

var ml = new MLContext(seed: 1);
IDataView train = ml.Data.LoadFromEnumerable(GrayImageRow.Read(dataDir, "train", trainLimit));
IDataView test = ml.Data.LoadFromEnumerable(GrayImageRow.Read(dataDir, "t10k", arguments.GetValue(testLimitOption)));
Console.WriteLine($"Fashion-MNIST: {train.GetRowCount()} training and {test.GetRowCount()} test images");

if (approach is "all" or "featurizer")
{
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
        // ResizeImages(224, 224) + ExtractPixels, which cannot run here (see UpscaledRgbPlanes).
        .Append(ml.Transforms.CustomMapping<UpscaledRgbPlanes.Input, UpscaledRgbPlanes.Output>(UpscaledRgbPlanes.Map, contractName: null))
        .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels224"))
        .Append(ml.Transforms.NormalizeMinMax("Features"))
        // SDCA passes over the data many times; without the cache each pass would run the network again.
        .AppendCacheCheckpoint(ml)
        .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"));
    Report("featurizer", pipeline);
}
if (approach is "all" or "fine-tune")
{
    var options = new ImageClassificationTrainerOptions
    {
        ImageColumnName = "Image",
        ImageChannels = 3,
        ImageHeight = arguments.GetValue(sizeOption),
        ImageWidth = arguments.GetValue(sizeOption),
        Architecture = ResNetArchitecture.MLNetResNet18,
        // The file ML.NET's featurizer runs, copied beside the app by its package.
        PretrainedWeightsPath = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"),
        Epochs = arguments.GetValue(fineTuneEpochsOption),
        BatchSize = 32,
        Precision = TrainingPrecision.MixedBFloat16,
        Schedule = new WarmupCosineSchedule { WarmupRatio = 0.03 },
        Optimizer = new SgdOptions { LearningRate = 0.01, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4 },
    };
    Report("fine-tune", ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)));
}
if (approach is "all" or "scratch")
{
    ImageClassificationTrainerOptions options = FashionMnistRecipe.Options("Image", arguments.GetValue(scratchEpochsOption));
    options.Optimizer = new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 };
    Report("scratch", ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)));
}
return 0;

void Report<TTransformer>(string name, IEstimator<TTransformer> pipeline)
    where TTransformer : class, ITransformer
{
    var clock = Stopwatch.StartNew();
    TTransformer model = pipeline.Fit(train);
    double fitSeconds = clock.Elapsed.TotalSeconds;
    clock.Restart();
    MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
    double scoreSeconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"approach={name} train_images={trainLimit} accuracy={metrics.MicroAccuracy:F4} fit_seconds={fitSeconds:F1} score_seconds={scoreSeconds:F1}"));
}
