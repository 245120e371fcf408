using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch.Search;
using Samples.Support;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The committed Fashion-MNIST subset as key-labelled float vectors, and a fast experiment setup over it.</summary>
internal static class TinyData
{
    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(28 * 28)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    /// <summary>Training (first <paramref name="trainCount"/> of 1,000) and validation (first <paramref name="validationCount"/> of 300 test images) data, labels mapped to keys by one mapping.</summary>
    public static (IDataView Train, IDataView Validation) Load(MLContext ml, int trainCount = 600, int validationCount = 200)
    {
        var (train, validation) = LoadText(ml, trainCount, validationCount);
        ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        return (keys.Transform(train), keys.Transform(validation));
    }

    /// <summary>The same rows as <see cref="Load"/> with text labels ("class0" ... "class9"), not yet mapped to keys.</summary>
    public static (IDataView Train, IDataView Validation) LoadText(MLContext ml, int trainCount = 600, int validationCount = 200)
        => (ml.Data.LoadFromEnumerable(Rows("train", trainCount)), ml.Data.LoadFromEnumerable(Rows("t10k", validationCount)));

    private static Row[] Rows(string split, int count)
    {
        var (pixels, labels, n) = FashionMnistSubset.Read(split, count);
        return Enumerable.Range(0, n).Select(i => new Row
        {
            Label = $"class{labels[i]}",
            Features = pixels.AsSpan(i * 784, 784).ToArray().Select(b => b / 255f).ToArray(),
        }).ToArray();
    }

    /// <summary>Template options for the tiny MLP: one thread (bit-reproducible), batch 64.</summary>
    public static MlpOptions Template() => new() { BatchSize = 64, Threads = 1, Seed = 7, Hidden = 32 };

    public static OptimizerExperiment<MlpOptions> Experiment(MLContext ml, OptimizerExperimentOptions options, MlpOptions? template = null)
        => OptimizerExperiment.Create(ml, template ?? Template(), o => new MlpTrainer(ml, o), options);
}
