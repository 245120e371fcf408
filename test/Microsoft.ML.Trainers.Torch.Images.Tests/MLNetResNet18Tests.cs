using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>
/// ML.NET's pretrained ResNet-18 (the CNTK network behind DnnFeaturizeImage, copied to the output by
/// build/PretrainedMLNetResNet18.targets) imported into our ResNet, checked against ONNX Runtime running the same file,
/// and fine-tuned through the trainer.
/// </summary>
[TestClass]
public sealed class MLNetResNet18Tests
{
    private const int Size = 224;

    private static string ModelFile(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "pretrained", "mlnet-resnet18", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' is missing: build/PretrainedMLNetResNet18.targets copies it from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 at build time.", path);
        }
        return path;
    }

    /// <summary>
    /// Real images, 1x3x224x224 RGB in 0..255: Fashion-MNIST test images upscaled bilinearly and replicated to three
    /// channels, and one generated colour image (so a red/blue swap would show).
    /// </summary>
    private static Tensor Image(string source, int index)
    {
        if (source == "generated")
        {
            Tensor y = arange(Size, dtype: ScalarType.Float32).view(1, Size, 1).expand(1, Size, Size);
            Tensor x = arange(Size, dtype: ScalarType.Float32).view(1, 1, Size).expand(1, Size, Size);
            Tensor red = x.mul(255.0 / Size);
            Tensor green = y.mul(255.0 / Size);
            Tensor disc = x.sub(140.0).square().add(y.sub(90.0).square()).lt(50.0 * 50.0).to_type(ScalarType.Float32);
            Tensor blue = disc.mul(220.0).add(x.add(y).mul(0.1).sin().mul(17.0)).clamp(0.0, 255.0);
            return cat(new[] { red, green, blue }, 0).unsqueeze(0);
        }
        var (pixels, _, _) = FashionMnistSubset.Read(source, index + 1);
        Tensor gray = tensor(pixels.AsSpan(index * 784, 784).ToArray().Select(b => (float)b).ToArray()).view(1, 1, 28, 28);
        Tensor upscaled = nn.functional.interpolate(gray, new long[] { Size, Size }, mode: InterpolationMode.Bilinear, align_corners: false);
        return upscaled.expand(1, 3, Size, Size).contiguous();
    }

    private static float[] Run(InferenceSession session, Tensor input)
    {
        string name = session.InputMetadata.Keys.Single();
        var value = new DenseTensor(input.contiguous().data<float>().ToArray(), input.shape.Select(d => (int)d).ToArray());
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(name, value) });
        return results.First().AsTensor<float>().ToArray();
    }

    [TestMethod]
    [TestCategory("Golden")]
    [DataRow("t10k", 0)]
    [DataRow("t10k", 1)]
    [DataRow("t10k", 7)]
    [DataRow("generated", 0)]
    public void FeaturesMatchOnnxRuntime(string source, int index)
    {
        using var scope = NewDisposeScope();
        using var preprocess = new InferenceSession(ModelFile("ResNetPreprocess.onnx"));
        using var network = new InferenceSession(ModelFile("ResNet18.onnx"));
        using var model = ResNet.Create(ResNetArchitecture.MLNetResNet18, numClasses: 10);
        Assert.AreEqual(22 + 22 * 4, ResNetPretrained.LoadOnnx(model, ModelFile("ResNet18.onnx")), "22 convolutions and 22 batch norms of 4 tensors");
        model.eval();

        Tensor rgb = Image(source, index);
        // ML.NET's own path: RGB 0..255 → BGR minus the mean image (ResNetPreprocess.onnx) → ResNet18.onnx.
        float[] bgrCentered = Run(preprocess, rgb);
        float[] expected = Run(network, tensor(bgrCentered).view(1, 3, Size, Size));
        Assert.AreEqual(512, expected.Length);

        // Ours takes RGB: the importer reversed the stem's input channels.
        Tensor ours = tensor(bgrCentered).view(1, 3, Size, Size).flip(1);
        float[] actual;
        using (no_grad())
        {
            actual = model.ForwardFeatures(ours).data<float>().ToArray();
        }
        double maxAbs = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Console.WriteLine($"{source} #{index}: max |ours - ORT| = {maxAbs:E2}, feature max {expected.Max():F3}, mean {expected.Average():F4}");
        Assert.IsTrue(expected.Max() > 0.1, "the features are not all zero");
        Assert.IsLessThan(1e-4, maxAbs, $"{source} #{index}: pooled features differ from ONNX Runtime's Pooling395_Output_0");
    }

    [TestMethod]
    public void TrainerNormalizationIsThePreprocessingMeanImagePerChannel()
    {
        using var preprocess = new InferenceSession(ModelFile("ResNetPreprocess.onnx"));
        using var scope = NewDisposeScope();
        // Zeros in: the output is minus the mean image, in BGR order.
        Tensor meanBgr = tensor(Run(preprocess, zeros(1, 3, Size, Size))).view(3, -1).neg().mean(new long[] { 1 }, type: ScalarType.Float64);
        double[] perChannel = meanBgr.flip(0).data<double>().ToArray();
        for (int c = 0; c < 3; c++)
        {
            Assert.AreEqual(perChannel[c] / 255, ImageClassificationFit.MLNetResNet18Mean[c], 1e-6, $"channel {c} (RGB)");
            Assert.AreEqual(1.0 / 255, ImageClassificationFit.MLNetResNet18Std[c], 1e-9);
        }
    }

    [TestMethod]
    public void TorchvisionTopologyIsRejectedNamingTheNode()
    {
        using var model = ResNet.Create(ResNetArchitecture.ResNet18, numClasses: 10);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ResNetPretrained.LoadOnnx(model, ModelFile("ResNet18.onnx")));
        StringAssert.Contains(ex.Message, "ResNet18.onnx");
        StringAssert.Contains(ex.Message, "pads [3, 3, 2, 2]");

        using var deeper = new ResNet(ResNetConfig.FromArchitecture(ResNetArchitecture.MLNetResNet18, 10) with { Layers = new[] { 2, 2, 2, 2 } });
        ex = Assert.ThrowsExactly<InvalidDataException>(() => ResNetPretrained.LoadOnnx(deeper, ModelFile("ResNet18.onnx")));
        StringAssert.Contains(ex.Message, "[2, 2, 2, 3]");
    }

    [TestMethod]
    public void FineTunesEndToEndThroughTheTrainer()
    {
        const int px = 32;  // fully convolutional with global pooling; 32 px (the smallest the strides allow) keeps CI fast
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(FashionMnistSubset.PngRows("train", 160, _ => px));
        IDataView test = ml.Data.LoadFromEnumerable(FashionMnistSubset.PngRows("t10k", 200, _ => px));
        var epochs = new List<EpochMetrics>();
        var options = new ImageClassificationTrainerOptions
        {
            ImageColumnName = "Image",
            ImageChannels = 3,
            ImageHeight = px,
            ImageWidth = px,
            Architecture = ResNetArchitecture.MLNetResNet18,
            PretrainedWeightsPath = ModelFile("ResNet18.onnx"),
            Epochs = 3,
            BatchSize = 16,
            Augment = false,
            Optimizer = new SgdOptions { LearningRate = 0.01, Momentum = 0.9 },
            Seed = 2,
            EpochCallback = epochs.Add,
        };
        ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(train);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine(string.Join("\n", epochs) + $"\ntest accuracy {metrics.MicroAccuracy:F3}");
        Assert.AreEqual(3, epochs.Count);
        Assert.IsLessThan(epochs[0].TrainLoss, epochs[^1].TrainLoss, "training loss falls: " + string.Join("; ", epochs));
        Assert.IsGreaterThan(0.25, metrics.MicroAccuracy, $"10 classes, chance 0.1; got {metrics.MicroAccuracy:F3}");
    }
}
