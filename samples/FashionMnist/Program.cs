// Trains a ResNet on Fashion-MNIST (60k training images) with the optimizer of your choice, evaluates it
// on the 10k test images, saves the model, and prints "accuracy=<test accuracy> seconds=<training seconds>".
//   dotnet run -c Release --project samples/FashionMnist -- [--optimizer sgdm|adamw] [--epochs N] [--train-limit N]
//        [--data-dir DIR] [--model PATH] [--threads N]
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;

var arguments = SampleArguments.Parse(args);
string dataDir = arguments.Get("data-dir", "/usr/share/datasets/fashion-mnist");
string optimizer = arguments.Get("optimizer", "sgdm");
int epochs = int.Parse(arguments.Get("epochs", "12"), CultureInfo.InvariantCulture);
int? trainLimit = arguments.Has("train-limit") ? int.Parse(arguments.Get("train-limit", ""), CultureInfo.InvariantCulture) : null;
string modelPath = arguments.Get("model", Path.Combine(Path.GetTempPath(), "fashion-mnist-resnet.zip"));

var ml = new MLContext(seed: 1);
ml.Log += (_, e) =>
{
    if (e.Source.StartsWith(nameof(ImageClassificationTrainer), StringComparison.Ordinal) && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info)
    {
        Console.WriteLine(e.Message);
    }
};

IDataView train = FashionMnistData.Load(ml, dataDir, "train", trainLimit);
IDataView test = FashionMnistData.Load(ml, dataDir, "t10k", null);
Console.WriteLine($"Fashion-MNIST: {train.GetRowCount()} training and {test.GetRowCount()} test images, optimizer {optimizer}, {epochs} epochs");

var options = new ImageClassificationTrainerOptions
{
    ImageColumnName = "Pixels",
    ImageChannels = 1,
    ImageHeight = 28,
    ImageWidth = 28,
    Architecture = ResNetArchitecture.CifarResNet18,
    BaseWidth = 32,
    Epochs = epochs,
    BatchSize = 128,
    LabelSmoothing = 0.1,
    Threads = arguments.Has("threads") ? int.Parse(arguments.Get("threads", ""), CultureInfo.InvariantCulture) : null,
};
(options.Optimizer, options.Schedule) = optimizer switch
{
    "sgdm" => ((OptimizerOptions)new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
               (ScheduleOptions)new OneCycleSchedule { MaxLearningRate = 0.1 }),
    "adamw" => (new AdamWOptions { LearningRate = 2e-3, WeightDecay = 0.05 }, new OneCycleSchedule { MaxLearningRate = 2e-3 }),
    _ => throw new ArgumentException($"--optimizer must be sgdm or adamw (was '{optimizer}')."),
};

var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.ImageClassification(options));
var clock = Stopwatch.StartNew();
var model = pipeline.Fit(train);
double seconds = clock.Elapsed.TotalSeconds;

var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
ml.Model.Save(model, train.Schema, modelPath);
Console.WriteLine($"test micro-accuracy {metrics.MicroAccuracy:F4}, macro-accuracy {metrics.MacroAccuracy:F4}, log-loss {metrics.LogLoss:F4}; model saved to {modelPath}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy={metrics.MicroAccuracy:F4} seconds={seconds:F0}"));
