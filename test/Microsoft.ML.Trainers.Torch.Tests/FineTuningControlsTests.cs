using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Gradient accumulation and the weight EMA of the shared training loop.</summary>
[TestClass]
public sealed class FineTuningControlsTests
{
    private sealed class LoopOptions : TorchTrainerOptions
    {
    }

    /// <summary>Float vectors and labels in memory.</summary>
    private sealed class VectorSet : ITrainingSet
    {
        private readonly float[][] _features;
        private readonly int[] _labels;

        public VectorSet(float[][] features, int[] labels)
        {
            _features = features;
            _labels = labels;
        }

        public int Count => _labels.Length;

        public int GetLabel(int index) => _labels[index];

        public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
        {
            int width = _features[0].Length;
            float[] flat = new float[indices.Length * width];
            for (int i = 0; i < indices.Length; i++)
            {
                _features[indices[i]].CopyTo(flat, i * width);
            }
            return new[] { tensor(flat).view(indices.Length, width) };
        }

        public ITrainingSet Subset(int[] indices) => new VectorSet(indices.Select(i => _features[i]).ToArray(), indices.Select(i => _labels[i]).ToArray());
    }

    /// <summary>A two-layer MLP whose first layer plays the pretrained backbone (training only; never scored or saved).</summary>
    private sealed class BackboneTestModel : TorchClassificationModel
    {
        private readonly nn.Module<Tensor, Tensor> _network;

        public BackboneTestModel() : base(Classes)
        {
            _network = nn.Sequential(("body", nn.Linear(Features, 8)), ("relu", nn.ReLU()), ("head", nn.Linear(8, Classes)));
        }

        public override nn.Module Network => _network;

        public override string? HeadModuleName => "head";

        public override IReadOnlyList<string> InputColumnNames => new[] { "Features" };

        public override void CheckInputSchema(Microsoft.ML.DataViewSchema schema) => throw new NotSupportedException("training-only test model");

        public override IBatchFeaturizer CreateFeaturizer(Microsoft.ML.DataViewRow row) => throw new NotSupportedException("training-only test model");

        public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _network.forward(inputs[0]);

        public override void Save(System.IO.Stream stream) => throw new NotSupportedException("training-only test model");
    }

    private const int Features = 5, Classes = 3;

    private static VectorSet MakeData(int count, int seed)
    {
        var random = new Random(seed);
        var features = new float[count][];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(Classes);
            features[i] = Enumerable.Range(0, Features).Select(f => (float)(random.NextDouble() * 2 - 1 + (f == labels[i] ? 1.5 : 0))).ToArray();
        }
        return new VectorSet(features, labels);
    }

    private static LinearTestModel MakeModel(int seed)
    {
        random.manual_seed(seed);
        return new LinearTestModel("Features", Features, Classes);
    }

    private static IReadOnlyList<EpochMetrics> Train(TorchClassificationModel model, ITrainingSet data, TorchTrainerOptions options, ITrainingSet? validation = null)
    {
        options.Validate();
        IHostEnvironment env = new MLContext(1);
        using IChannel channel = env.Start("test");
        return new TrainingLoop(env, channel, options).Run(model, data, validation, CPU);
    }

    private static double[] Weights(nn.Module network) =>
        network.parameters().SelectMany(p => p.detach().to(ScalarType.Float64).data<double>().ToArray()).ToArray();

    [TestMethod]
    public void AccumulatedMicroBatchesTrainLikeOneLargeBatch()
    {
        // 30 examples: accumulated batches of 12, 12 and a short last one of 6 (micro-batches 4 and 2).
        VectorSet data = MakeData(30, 3);
        LoopOptions Options(int batch, int accumulation) => new()
        {
            Epochs = 3,
            BatchSize = batch,
            GradientAccumulationSteps = accumulation,
            Shuffle = false,
            // SGD: unlike Adam its step scales with the gradient, so a wrongly weighted micro-batch loss shows.
            Optimizer = new SgdOptions { LearningRate = 0.3, Momentum = 0.9 },
            Schedule = new OneCycleSchedule(),
            GradientClipNorm = 1.0,
            LabelSmoothing = 0.1,
        };
        using var accumulated = MakeModel(7);
        using var large = MakeModel(7);
        Train(accumulated, data, Options(4, 3));
        Train(large, data, Options(12, 1));

        double[] a = Weights(accumulated.Network), b = Weights(large.Network);
        using var initial = MakeModel(7);
        double[] start = Weights(initial.Network);
        Assert.IsTrue(a.Zip(start).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "training must move the weights");
        for (int i = 0; i < a.Length; i++)
        {
            Assert.AreEqual(b[i], a[i], 1e-5, $"weight {i}");
        }

        // Without accumulation the small batch takes more, different steps.
        using var small = MakeModel(7);
        Train(small, data, Options(4, 1));
        Assert.IsTrue(Weights(small.Network).Zip(b).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [TestMethod]
    public void MicroBatchesNeverHoldASingleExample()
    {
        CollectionAssert.AreEqual(new[] { (0, 4), (4, 4), (8, 2) }, GradientAccumulation.Split(10, 4).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 4), (4, 5) }, GradientAccumulation.Split(9, 4).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 1) }, GradientAccumulation.Split(1, 4).ToArray());
        Assert.AreEqual(0.25, GradientAccumulation.LossWeight(2, 8));
    }

    [TestMethod]
    public void BadAccumulationAndEmaOptionsNameTheOption()
    {
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoopOptions { GradientAccumulationSteps = 0 }.Validate());
        StringAssert.Contains(e1.Message, nameof(TorchTrainerOptions.GradientAccumulationSteps));
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoopOptions { EmaDecay = 1.0 }.Validate());
        StringAssert.Contains(e2.Message, nameof(TorchTrainerOptions.EmaDecay));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoopOptions { EmaDecay = double.NaN }.Validate());
    }

    [TestMethod]
    public void EmaMatchesAFloat64AverageOfParametersAndCopiesIntegerBuffers()
    {
        const double decay = 0.95;
        var rng = new Random(5);
        double[] Draw(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        double[] w = Draw(6);
        using Tensor weight = tensor(w.Select(x => (float)x).ToArray());
        using Tensor counter = tensor(new long[] { 0 });
        using var ema = new ModelEma(new[] { ("w", weight), ("n", counter) }, decay, warmup: true);
        double[] reference = w.Select(x => (double)(float)x).ToArray();
        for (int t = 0; t < 40; t++)
        {
            double[] next = Draw(6);
            using Tensor model = tensor(next.Select(x => (float)x).ToArray());
            using Tensor count = tensor(new long[] { t + 1 });
            double d = Math.Min(decay, (1.0 + t) / (10.0 + t));
            Assert.AreEqual(d, ema.NextDecay, 1e-15);
            ema.Update(new[] { ("w", model), ("n", count) });
            for (int i = 0; i < reference.Length; i++)
            {
                reference[i] = d * reference[i] + (1 - d) * (float)next[i];
            }
        }
        Dictionary<string, Tensor> averaged = ema.Snapshot();
        try
        {
            double[] got = averaged["w"].to(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < got.Length; i++)
            {
                Assert.AreEqual(reference[i], got[i], 1e-5, $"w[{i}]");
            }
            Assert.AreEqual(ScalarType.Float32, averaged["w"].dtype);
            Assert.AreEqual(40L, averaged["n"].item<long>());
            Assert.AreEqual(40L, ema.Updates);
        }
        finally
        {
            foreach (Tensor t in averaged.Values) t.Dispose();
        }
    }

    [TestMethod]
    public void TheTrainedModelIsTheEmaOfTheStepWeights()
    {
        // One step per epoch (the batch is the whole set), so the epoch callback sees every step's training weights.
        VectorSet data = MakeData(24, 11);
        const double decay = 0.8;
        var steps = new List<double[]>();
        var options = new LoopOptions
        {
            Epochs = 6,
            BatchSize = 24,
            Shuffle = false,
            Optimizer = new SgdOptions { LearningRate = 0.5, Momentum = 0.9 },
            EmaDecay = decay,
            EmaWarmup = true,
            EpochModelCallback = (_, m) => steps.Add(Weights(m.Network)),
        };
        using var model = MakeModel(13);
        double[] reference = Weights(model.Network);
        Train(model, data, options);

        for (int t = 0; t < steps.Count; t++)
        {
            double d = Math.Min(decay, (1.0 + t) / (10.0 + t));
            for (int i = 0; i < reference.Length; i++)
            {
                reference[i] = d * reference[i] + (1 - d) * steps[t][i];
            }
        }
        double[] trained = Weights(model.Network);
        Assert.IsTrue(trained.Zip(steps[^1]).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "the EMA must differ from the last step's weights");
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.AreEqual(reference[i], trained[i], 1e-5, $"weight {i}");
        }
    }

    [TestMethod]
    public void ValidationScoresTheEmaWeights()
    {
        VectorSet data = MakeData(24, 17), validation = MakeData(12, 19);
        var options = new LoopOptions
        {
            Epochs = 3,
            BatchSize = 8,
            Optimizer = new SgdOptions { LearningRate = 0.5, Momentum = 0.9 },
            EmaDecay = 0.7,
            RestoreBestEpoch = false,
        };
        using var model = MakeModel(21);
        IReadOnlyList<EpochMetrics> history = Train(model, data, options, validation);
        // The last epoch's validation ran on the EMA weights, which are also the trained model's.
        IHostEnvironment env = new MLContext(1);
        using IChannel channel = env.Start("test");
        (double loss, _, _) = new TrainingLoop(env, channel, options).Evaluate(model, validation);
        Assert.AreEqual(loss, history[^1].ValidationLoss!.Value, 1e-6);
    }

    private static double[] Named(nn.Module network, string prefix) =>
        network.named_parameters().Where(p => p.name.StartsWith(prefix)).SelectMany(p => p.parameter.detach().to(ScalarType.Float64).data<double>().ToArray()).ToArray();

    private static double MaxChange(double[] a, double[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    [TestMethod]
    public void AFrozenBackboneStaysPutUntilItsEpochsAreOver()
    {
        VectorSet data = MakeData(24, 23);
        var body = new List<double[]>();
        var head = new List<double[]>();
        var options = new LoopOptions
        {
            Epochs = 2,
            BatchSize = 8,
            FreezeBackboneEpochs = 1,
            // Weight decay and momentum would move a parameter with a zero gradient: frozen ones must get none.
            Optimizer = new AdamWOptions { LearningRate = 0.05, WeightDecay = 0.1 },
            NoWeightDecayForBiasAndNorm = false,
            EpochModelCallback = (_, m) =>
            {
                body.Add(Named(m.Network, "body."));
                head.Add(Named(m.Network, "head."));
            },
        };
        random.manual_seed(29);
        using var model = new BackboneTestModel();
        // A gradient left over from earlier training (PyTorch keeps .grad) must not count as this step's either.
        using (var scope = NewDisposeScope())
        {
            model.Forward(data.Collate(new[] { 0, 1, 2 }, false, new Random(0))).sum().backward();
        }
        double[] body0 = Named(model.Network, "body."), head0 = Named(model.Network, "head.");
        Train(model, data, options);

        Assert.AreEqual(0.0, MaxChange(body0, body[0]), "the backbone must not move in the frozen epoch");
        Assert.IsTrue(MaxChange(head0, head[0]) > 1e-3, "the head trains in the frozen epoch");
        Assert.IsTrue(MaxChange(body[0], body[1]) > 1e-3, "the backbone trains after unfreezing");
        Assert.IsTrue(model.Network.parameters().All(p => p.requires_grad), "training ends with every parameter trainable");
    }

    [TestMethod]
    public void FreezingAModelWithoutABackboneIsRefused()
    {
        using var model = MakeModel(1);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Train(model, MakeData(8, 1), new LoopOptions { Epochs = 1, FreezeBackboneEpochs = 1 }));
        StringAssert.Contains(e.Message, "FreezeBackboneEpochs");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LoopOptions { FreezeBackboneEpochs = -1 }.Validate());
    }

    [TestMethod]
    public void TheLearningRateFinderRampsSuggestsARateBelowDivergenceAndLeavesTheModelAlone()
    {
        VectorSet data = MakeData(64, 31);
        using var model = MakeModel(37);
        double[] before = Weights(model.Network);
        var options = new LoopOptions { BatchSize = 16, Optimizer = new SgdOptions { LearningRate = 1e-3, Momentum = 0.9 } };
        LearningRateFinderResult result = LearningRateFinder.Run(model, data, options, 1e-5, 1e5, 100);

        Assert.AreEqual(0.0, MaxChange(before, Weights(model.Network)), "the finder must not train the model");
        var points = result.Points;
        Assert.IsTrue(points.Count > 20, $"{points.Count} points");
        Assert.AreEqual(1e-5, points[0].LearningRate, 1e-12);
        for (int i = 1; i < points.Count; i++)
        {
            // Exponential ramp: a constant ratio of (1e5 / 1e-5)^(1/99) between steps.
            Assert.AreEqual(Math.Pow(1e10, 1 / 99.0), points[i].LearningRate / points[i - 1].LearningRate, 1e-9);
        }
        // SGD with momentum at rates in the thousands makes the loss blow up: the test stops before the end.
        Assert.IsTrue(points.Count < 100, $"no divergence seen in {points.Count} points: " + string.Join(" ", points.Select(p => $"{p.LearningRate:G2}:{p.SmoothedLoss:G3}")));
        Assert.IsTrue(points[^1].SmoothedLoss > 4 * points.Min(p => p.SmoothedLoss));
        Assert.IsTrue(result.SuggestedLearningRate >= points[0].LearningRate && result.SuggestedLearningRate < points[^1].LearningRate,
            $"suggested {result.SuggestedLearningRate}, diverged at {points[^1].LearningRate}");
        // The suggestion is a rate where the loss was falling.
        int at = points.ToList().FindIndex(p => p.LearningRate == result.SuggestedLearningRate);
        Assert.IsTrue(points[at + 1].SmoothedLoss < points[at - 1].SmoothedLoss);
    }
}
