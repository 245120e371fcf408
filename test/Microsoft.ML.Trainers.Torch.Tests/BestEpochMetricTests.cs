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
/// The metric that picks the best epoch and stops early: log-loss restores the lowest-loss epoch; macro-accuracy is mean
/// per-class recall; each of the three follows its own values.
/// </summary>
[TestClass]
public sealed class BestEpochMetricTests
{
    private sealed class LoopOptions : TorchTrainerOptions
    {
    }

    /// <summary>Noisy, imbalanced 3-class examples of 4 features (class 0 twice as common).</summary>
    private sealed class NoisySet : ITrainingSet
    {
        private readonly float[][] _features;
        private readonly int[] _labels;

        public NoisySet(int count, int seed)
        {
            var random = new Random(seed);
            _labels = Enumerable.Range(0, count).Select(i => i % 4 == 3 ? 2 : i % 4 == 2 ? 1 : 0).ToArray();
            _features = _labels.Select(l => Enumerable.Range(0, 4).Select(j => (float)(2 * random.NextDouble() + (j == l ? 1 : 0))).ToArray()).ToArray();
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

    /// <summary>SGD at a rate high enough that the validation metrics wobble from epoch to epoch, restoring the best.</summary>
    private static LoopOptions WobblyOptions(int epochs, BestEpochMetric metric) => new()
    {
        Epochs = epochs,
        BatchSize = 8,
        Optimizer = new SgdOptions { LearningRate = 2.0, Momentum = 0.9 },
        BestEpochMetric = metric,
        RestoreBestEpoch = true,
        // The validation set goes straight to loop.Run.
        ValidationDataComesLater = true,
    };

    /// <summary>
    /// nn.Linear draws its initial weights from libtorch's global generator, which earlier tests in the run advance: seeded
    /// here so each test sees the same model whatever ran before it.
    /// </summary>
    private static LinearTestModel SeededModel()
    {
        random.manual_seed(5);
        return new LinearTestModel("Features", 4, 3);
    }

    private static (TrainingLoop Loop, IReadOnlyList<EpochMetrics> History) Train(MLContext ml, IChannel channel, LoopOptions options,
        LinearTestModel model, NoisySet validation)
    {
        options.Validate();
        var loop = new TrainingLoop(ml, channel, options);
        return (loop, loop.Run(model, new NoisySet(96, seed: 4), validation, CPU));
    }

    [TestMethod]
    public void LogLossRestoresTheLowestValidationLossEpoch()
    {
        var ml = new MLContext(seed: 1);
        using LinearTestModel model = SeededModel();
        using IChannel channel = ((IHostEnvironment)ml).Start("test");
        var validation = new NoisySet(60, seed: 9);
        (TrainingLoop loop, IReadOnlyList<EpochMetrics> history) = Train(ml, channel, WobblyOptions(12, BestEpochMetric.LogLoss), model, validation);
        string epochs = string.Join("\n", history);

        double lowest = history.Min(h => h.ValidationLoss!.Value);
        Assert.AreNotEqual(lowest, history[^1].ValidationLoss!.Value, "the restore is observable:\n" + epochs);
        (double loss, double accuracy, double macro) = loop.Evaluate(model, validation);
        Assert.AreEqual(lowest, loss, 1e-9, "the restored weights are the lowest-loss epoch's:\n" + epochs);

        // Macro-accuracy: the mean over classes of the fraction of that class predicted right.
        using var scope = NewDisposeScope();
        long[] predicted = model.Forward(validation.Collate(Enumerable.Range(0, validation.Count).ToArray(), false, new Random(0)))
            .argmax(1).data<long>().ToArray();
        double expected = Enumerable.Range(0, 3).Average(c =>
        {
            int[] members = Enumerable.Range(0, validation.Count).Where(i => validation.GetLabel(i) == c).ToArray();
            return members.Count(i => predicted[i] == c) / (double)members.Length;
        });
        Assert.AreEqual(expected, macro, 1e-12);
        Assert.AreNotEqual(accuracy, macro, "imbalanced classes: macro differs from micro here");
        Assert.IsTrue(history.All(h => h.ValidationMacroAccuracy.HasValue), epochs);
    }

    [TestMethod]
    [DataRow(BestEpochMetric.Accuracy)]
    [DataRow(BestEpochMetric.LogLoss)]
    [DataRow(BestEpochMetric.MacroAccuracy)]
    public void EachMetricPicksTheBestEpochAndStopsEarlyByItsOwnValues(BestEpochMetric metric)
    {
        var ml = new MLContext(seed: 1);
        const int patience = 3;
        LoopOptions options = WobblyOptions(16, metric);
        options.EarlyStoppingPatience = patience;
        using LinearTestModel model = SeededModel();
        using IChannel channel = ((IHostEnvironment)ml).Start("test");
        var validation = new NoisySet(60, seed: 9);
        (TrainingLoop loop, IReadOnlyList<EpochMetrics> history) = Train(ml, channel, options, model, validation);
        string epochs = string.Join("\n", history);

        // The same rule computed from the logged metrics: higher score wins, a tie goes to the lower loss; stop after
        // `patience` epochs without a better one.
        double Score(EpochMetrics m) => metric switch
        {
            BestEpochMetric.LogLoss => -m.ValidationLoss!.Value,
            BestEpochMetric.MacroAccuracy => m.ValidationMacroAccuracy!.Value,
            _ => m.ValidationAccuracy!.Value,
        };
        EpochMetrics best = history[0];
        int without = 0, expectedEpochs = options.Epochs;
        foreach (EpochMetrics m in history.Skip(1))
        {
            if (Score(m) > Score(best) || (Score(m) == Score(best) && m.ValidationLoss < best.ValidationLoss))
            {
                best = m;
                without = 0;
            }
            else if (++without >= patience)
            {
                expectedEpochs = m.Epoch;
                break;
            }
        }
        Assert.AreEqual(expectedEpochs, history.Count, "stopped by the metric's own values:\n" + epochs);
        Assert.IsTrue(history.Count < options.Epochs, "early stopping is observable:\n" + epochs);
        Assert.AreNotEqual(history.Count, best.Epoch, "the restore is observable:\n" + epochs);
        (double loss, double accuracy, double macro) = loop.Evaluate(model, validation);
        Assert.AreEqual(best.ValidationLoss!.Value, loss, 1e-9, $"restored epoch {best.Epoch}:\n" + epochs);
        Assert.AreEqual(best.ValidationAccuracy!.Value, accuracy, 1e-12);
        Assert.AreEqual(best.ValidationMacroAccuracy!.Value, macro, 1e-12);
    }

    [TestMethod]
    public void AnUndefinedMetricIsRejectedByValidate()
    {
        var options = new LoopOptions { BestEpochMetric = (BestEpochMetric)7 };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
        Assert.AreEqual("BestEpochMetric", error.ParamName);
    }
}
