// Trains an ImageNet-style ResNet-18 on any class-per-subfolder image folder, streaming the image files batch by batch
// (only their paths are held), and prints as its last line
//   images=<N> seconds=<training seconds> images_per_second=<x> loader_images_per_second=<x> peak_rss_mb=<x>
// where the loader figure is decoding, resizing and augmenting alone (no network).
//   dotnet run -c Release --project samples/ImageFolder -- (--data FOLDER | --generate N [--size S]) [--epochs N]
//        [--width W] [--max-steps N] [--batch-size N]
// --generate writes N synthetic JPEGs (10 classes, each a class-specific colour and shape under noise) to a
// temporary folder first; --max-steps trains on max-steps x batch-size images only, to bound a measurement.
using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Images;
using SkiaSharp;

var dataOption = new Option<string?>("--data") { Description = "A folder with one subfolder of images per class." };
var generateOption = new Option<int?>("--generate") { Description = "Write this many synthetic JPEGs (10 classes) to a temporary folder and train on them." };
var sizeOption = new Option<int>("--size") { Description = "Side of the generated images and of the network input.", DefaultValueFactory = _ => 224 };
var epochsOption = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 1 };
var widthOption = new Option<int>("--width") { Description = "ResNet-18 base width (a multiple of 16).", DefaultValueFactory = _ => 16 };
var maxStepsOption = new Option<int?>("--max-steps") { Description = "Train on max-steps x batch-size randomly chosen images only." };
var batchOption = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 32 };
var command = new RootCommand("Trains ResNet-18 on an image folder, streaming the files, and reports throughput and peak memory.")
{
    dataOption, generateOption, sizeOption, epochsOption, widthOption, maxStepsOption, batchOption,
};
ParseResult arguments = command.Parse(args);
if (arguments.Action is not null)
{
    return arguments.Invoke();
}
string? folder = arguments.GetValue(dataOption);
int? generate = arguments.GetValue(generateOption);
int size = arguments.GetValue(sizeOption);
int batchSize = arguments.GetValue(batchOption);
if ((folder == null) == (generate == null))
{
    Console.Error.WriteLine("Give exactly one of --data FOLDER and --generate N.");
    return 2;
}
if (generate is int count)
{
    if (count < 10 || size < 8)
    {
        Console.Error.WriteLine($"--generate needs at least 10 images and --size at least 8 (got {count}, {size}).");
        return 2;
    }
    folder = Path.Combine(Path.GetTempPath(), $"imagefolder-{count}-{size}");
    var clock0 = Stopwatch.StartNew();
    SyntheticImages.Write(folder, count, size);
    Console.WriteLine($"Wrote {count} {size}x{size} JPEGs in 10 classes to {folder} in {clock0.Elapsed.TotalSeconds:F0} s");
}

var ml = new MLContext(seed: 1);
ml.Log += (_, e) =>
{
    if (e.Source.StartsWith(nameof(ImageClassificationTrainer), StringComparison.Ordinal) && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info)
    {
        Console.WriteLine(e.Message);
    }
};
IDataView data = ml.Data.LoadFromImageFolder(folder!);
if (arguments.GetValue(maxStepsOption) is int maxSteps)
{
    // A uniform random subset (ShuffleRows' bounded pool would keep the folder's class-sorted order).
    string[] allPaths = data.GetColumn<string>("ImagePath").ToArray();
    string[] allLabels = data.GetColumn<string>("Label").ToArray();
    var shuffle = new Random(1);
    var subset = Enumerable.Range(0, allPaths.Length).OrderBy(_ => shuffle.Next()).Take(maxSteps * batchSize)
        .Select(i => new ImageRow { ImagePath = allPaths[i], Label = allLabels[i] }).ToArray();
    data = ml.Data.LoadFromEnumerable(subset);
}
string[] paths = data.GetColumn<string>("ImagePath").ToArray();
double loaderRate = ImageLoaderBenchmark.Measure(paths, 3, size, size, batchSize);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Loader alone: {loaderRate:F1} images/s over {paths.Length} images"));

var options = new ImageClassificationTrainerOptions
{
    ImageColumnName = "ImagePath",
    ImageChannels = 3,
    ImageHeight = size,
    ImageWidth = size,
    Architecture = ResNetArchitecture.ResNet18,
    BaseWidth = arguments.GetValue(widthOption),
    Epochs = arguments.GetValue(epochsOption),
    BatchSize = batchSize,
    // The synthetic classes are not centred objects; ImageNet statistics are a fine fixed normalization.
    NormalizationMean = new[] { 0.485f, 0.456f, 0.406f },
    NormalizationStd = new[] { 0.229f, 0.224f, 0.225f },
    ValidationFraction = 0,
    Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
};
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options));
var clock = Stopwatch.StartNew();
ITransformer model = pipeline.Fit(data);
double seconds = clock.Elapsed.TotalSeconds;
int trained = paths.Length * options.Epochs;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"images={trained} seconds={seconds:F0} images_per_second={trained / seconds:F1} loader_images_per_second={loaderRate:F1} peak_rss_mb={PeakRssMegabytes():F0}"));
return 0;

// VmHWM: the resident set's high-water mark for the whole run (Linux).
static double PeakRssMegabytes()
{
    string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return line == null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}

/// <summary>One image file and its class.</summary>
internal sealed class ImageRow
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}

/// <summary>Synthetic JPEGs whose class shows in their content: a class colour, a class shape, random placement and noise.</summary>
internal static class SyntheticImages
{
    public static void Write(string root, int count, int size)
    {
        Parallel.For(0, count, i =>
        {
            int label = i % 10;
            string classFolder = Path.Combine(root, $"class_{label}");
            Directory.CreateDirectory(classFolder);
            string path = Path.Combine(classFolder, $"{i:D6}.jpg");
            if (File.Exists(path))
            {
                return;
            }
            var random = new Random(i);
            using var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(SKColor.FromHsv(random.Next(360), 15, 40 + random.Next(40)));
                using var paint = new SKPaint { Color = SKColor.FromHsv(label * 36, 80, 90), IsAntialias = true };
                float r = size * (0.15f + 0.1f * (float)random.NextDouble());
                float cx = size * (0.3f + 0.4f * (float)random.NextDouble()), cy = size * (0.3f + 0.4f * (float)random.NextDouble());
                switch (label % 3)
                {
                    case 0: canvas.DrawCircle(cx, cy, r, paint); break;
                    case 1: canvas.DrawRect(cx - r, cy - r, 2 * r, 2 * r, paint); break;
                    default: canvas.DrawRect(cx - 2 * r, cy - r / 3, 4 * r, 2 * r / 3, paint); break;
                }
            }
            Span<byte> pixels = bitmap.GetPixelSpan();
            for (int p = 0; p < pixels.Length; p += 4)
            {
                int noise = random.Next(-20, 21);
                for (int c = 0; c < 3; c++)
                {
                    pixels[p + c] = (byte)Math.Clamp(pixels[p + c] + noise, 0, 255);
                }
            }
            using SKData jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(path, jpeg.ToArray());
        });
    }
}
