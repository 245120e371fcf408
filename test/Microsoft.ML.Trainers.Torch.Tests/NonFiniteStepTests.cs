using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// The training loop on a set with one corrupt (NaN) example, or a model whose gradient is NaN under a finite loss: stop
/// at that step by default, skip and count in skip mode.
/// </summary>
[TestClass]
public sealed class NonFiniteStepTests
{
    private sealed class LoopOptions : TorchTrainerOptions
    {
    }

    /// <summary>32 separable examples of 4 features, example 3 (by default) holding a NaN.</summary>
    private sealed class CorruptSet : ITrainingSet
    {
        private readonly float[][] _features;
        private readonly int[] _labels;

        public CorruptSet(int? nanRow = 3)
        {
            var random = new Random(5);
            _labels = Enumerable.Range(0, 32).Select(i => i % 2).ToArray();
            _features = _labels.Select(l => Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() + 2 * l)).ToArray()).ToArray();
            if (nanRow is int row)
            {
                _features[row][2] = float.NaN;
            }
        }

        public int Count => _labels.Length;

        public int GetLabel(int index) => _labels[index];

        public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
        {
            float[] data = new float[indices.Length * 4];
            for (int i = 0; i < indices.Length; i++)
            {
                _features[indices[i]].CopyTo(data, i * 4);
            }
            return new[] { tensor(data, new long[] { indices.Length, 4 }) };
        }

        public ITrainingSet Subset(int[] indices) => throw new NotSupportedException();
    }

    private static (IReadOnlyList<EpochMetrics> History, LinearTestModel Model) Train(bool skip)
    {
        var ml = new MLContext(seed: 1);
        var options = new LoopOptions
        {
            Epochs = 3,
            BatchSize = 8,
            Shuffle = false,
            Optimizer = new SgdOptions { LearningRate = 0.1, Momentum = 0.9 },
            SkipNonFiniteSteps = skip,
        };
        options.Validate();
        var model = new LinearTestModel("Features", 4, 2);
        using IChannel channel = ((IHostEnvironment)ml).Start("test");
        var loop = new TrainingLoop(ml, channel, options);
        return (loop.Run(model, new CorruptSet(), null, CPU), model);
    }

    [TestMethod]
    public void ANonFiniteLossStopsTrainingNamingTheStep()
    {
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => Train(skip: false));
        Assert.AreEqual(1, error.Epoch);
        Assert.AreEqual(1, error.Step);
        Assert.IsTrue(double.IsNaN(error.Loss), error.Message);
        Assert.AreEqual(0.1, error.LearningRate, 1e-12);
        StringAssert.Contains(error.Message, "epoch 1, step 1");
    }

    /// <summary>
    /// Logits sqrt(z²) of a zero-initialised linear layer: every logit is 0 (a finite loss, ln 2), while the gradient is
    /// sqrt'(0) · 2z = ∞ · 0 = NaN, the case a loss check alone lets through.
    /// </summary>
    private sealed class NaNGradientModel : TorchClassificationModel
    {
        private readonly TorchSharp.Modules.Linear _linear = nn.Linear(4, 2);

        public NaNGradientModel() : base(2)
        {
            using (no_grad())
            {
                _linear.weight!.zero_();
                _linear.bias!.zero_();
            }
        }

        public override nn.Module Network => _linear;

        public override IReadOnlyList<string> InputColumnNames => new[] { "Features" };

        public override void CheckInputSchema(Microsoft.ML.DataViewSchema schema) => throw new NotSupportedException();

        public override IBatchFeaturizer CreateFeaturizer(Microsoft.ML.DataViewRow row) => throw new NotSupportedException();

        public override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            Tensor z = _linear.forward(inputs[0]);
            return z.mul(z).sqrt();
        }

        public override void Save(System.IO.Stream stream) => throw new NotSupportedException();
    }

    [TestMethod]
    public void ANonFiniteGradientWithAFiniteLossStopsAtItsOwnStepWithoutClipping()
    {
        var ml = new MLContext(seed: 1);
        var options = new LoopOptions { Epochs = 1, BatchSize = 8, Shuffle = false, Optimizer = new SgdOptions { LearningRate = 0.1 } };
        options.Validate();
        Assert.IsNull(options.GradientClipNorm);
        using var model = new NaNGradientModel();
        using IChannel channel = ((IHostEnvironment)ml).Start("test");
        var loop = new TrainingLoop(ml, channel, options);
        var set = new CorruptSet(nanRow: null);

        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => loop.Run(model, set, null, CPU));
        Assert.AreEqual(1, error.Epoch);
        Assert.AreEqual(1, error.Step);
        Assert.AreEqual(Math.Log(2), error.Loss, 1e-6, "the loss is finite");
        Assert.IsTrue(error.GradientNorm is double norm && !double.IsFinite(norm), error.Message);
        StringAssert.Contains(error.Message, "gradient norm");
        foreach (var p in model.Network.parameters())
        {
            Assert.AreEqual(0.0, p.abs().sum().item<float>(), "the bad step was not applied");
        }
    }

    [TestMethod]
    public void SkipModeDropsTheBadStepCountsItAndKeepsFiniteWeights()
    {
        (IReadOnlyList<EpochMetrics> history, LinearTestModel model) = Train(skip: true);
        using (model)
        {
            Assert.HasCount(3, history);
            Assert.IsTrue(history.All(h => h.SkippedSteps == 1 && double.IsFinite(h.TrainLoss)), string.Join("\n", history));
            Assert.IsTrue(history.All(h => h.ToString().Contains("skipped_steps=1")), string.Join("\n", history));
            Assert.IsLessThan(history[0].TrainLoss, history[^1].TrainLoss, "it still learns: " + string.Join("\n", history));
            foreach (var p in model.Network.parameters())
            {
                Assert.IsTrue(isfinite(p).all().item<bool>(), "weights stay finite");
            }
        }
    }
}
