using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Search.Charts;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Samples.Support;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// The learning-rate finder as a user reaches it (a trainer's <see cref="TorchClassificationTrainer{TOptions}.FindLearningRate"/>
/// on an <see cref="IDataView"/>) and its ScottPlot chart.
/// </summary>
[TestClass]
public sealed class LearningRateFinderChartTests
{
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    [TestMethod]
    public void TheTrainerFindsARateAndTheChartIsAValidPng()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyData.Load(ml, trainCount: 300, validationCount: 10);
        var trainer = new MlpTrainer(ml, TinyData.Template());
        LearningRateFinderResult result = trainer.FindLearningRate(train, startLearningRate: 1e-5, endLearningRate: 10, steps: 60);

        Assert.IsGreaterThan(12, result.Points.Count, "the ramp ran past the skipped first steps");
        Assert.IsTrue(result.Points.Zip(result.Points.Skip(1)).All(p => p.Second.LearningRate > p.First.LearningRate), "rates increase");
        Assert.IsTrue(result.SuggestedLearningRate >= 1e-5 && result.SuggestedLearningRate <= 10, $"suggestion {result.SuggestedLearningRate}");
        Assert.IsTrue(result.Points.Any(p => p.LearningRate == result.SuggestedLearningRate), "the suggestion is one of the rates tried");

        string path = Path.Combine(TestData.NewTempDir(), "lr-finder.png");
        LearningRateFinderChart.SavePng(path, result, width: 640, height: 480);
        byte[] bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(PngSignature, bytes.Take(8).ToArray(), "PNG signature");
        Assert.IsGreaterThan(5_000, bytes.Length, "the chart has content");
        // The first chunk of a PNG is IHDR: width and height, big-endian, at bytes 16 and 20.
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.AreEqual(640, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.AreEqual(480, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [TestMethod]
    public void BadRampArgumentsFailBeforeAnyDataIsRead()
    {
        var ml = new MLContext(seed: 1);
        var trainer = new MlpTrainer(ml, TinyData.Template());
        // A data view whose schema has no label at all: reading it would fail differently, so the argument check came first.
        IDataView empty = ml.Data.LoadFromEnumerable(new[] { new NoLabel() });
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.FindLearningRate(empty, startLearningRate: 1e-3, endLearningRate: 1e-4));
        Assert.AreEqual("endLearningRate", ex.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => LearningRateFinderChart.CreatePlot(new LearningRateFinderResult(Array.Empty<LearningRateFinderPoint>(), 1e-3)));
    }

    private sealed class NoLabel
    {
        public float Value { get; set; }
    }
}
