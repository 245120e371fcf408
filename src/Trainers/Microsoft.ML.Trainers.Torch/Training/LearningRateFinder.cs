using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>One point of a learning-rate finder's curve.</summary>
/// <param name="LearningRate">The rate of this step.</param>
/// <param name="Loss">The step's mini-batch loss.</param>
/// <param name="SmoothedLoss">The bias-corrected exponential average of the losses so far (β = 0.98).</param>
public sealed record LearningRateFinderPoint(double LearningRate, double Loss, double SmoothedLoss);

/// <summary>The curve of a learning-rate range test and the rate it suggests.</summary>
/// <param name="Points">The steps taken, in order of increasing rate (the test stops early when the loss diverges).</param>
/// <param name="SuggestedLearningRate">
/// The rate where the smoothed loss falls fastest (the most negative finite difference, skipping the first 10 and the
/// last point, as Lightning's tuner suggests).
/// </param>
public sealed record LearningRateFinderResult(IReadOnlyList<LearningRateFinderPoint> Points, double SuggestedLearningRate);

/// <summary>
/// A learning-rate range test (fastai's <c>lr_find</c>, Lightning's tuner): trains from the current weights with a rate
/// that grows exponentially from a start to an end value, one mini-batch per step, records the loss and stops once the
/// smoothed loss exceeds 4× its best. The model's weights are restored afterwards: the test does not train it.
/// </summary>
public static class LearningRateFinder
{
    private const double Beta = 0.98;
    private const int SkipBegin = 10, SkipEnd = 1;

    /// <summary>Runs the test on <paramref name="model"/> (float32, on the CPU or the device the model is on).</summary>
    /// <param name="model">The model; its weights and buffers are the same afterwards.</param>
    /// <param name="train">The training examples (mini-batches of <see cref="TorchTrainerOptions.BatchSize"/>, reshuffled each pass).</param>
    /// <param name="options">The optimizer, batch size, label smoothing, clipping and seed; the schedule is ignored.</param>
    /// <param name="startLearningRate">The first rate (fastai: 1e-7).</param>
    /// <param name="endLearningRate">The last rate (fastai: 10).</param>
    /// <param name="steps">The number of steps (fastai: 100).</param>
    public static LearningRateFinderResult Run(TorchClassificationModel model, ITrainingSet train, TorchTrainerOptions options,
        double startLearningRate = 1e-7, double endLearningRate = 10, int steps = 100)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        CheckArguments(startLearningRate, endLearningRate, steps);
        if (train.Count < 2)
        {
            throw new ArgumentException($"The learning-rate finder needs at least 2 training examples (had {train.Count}).", nameof(train));
        }
        options.Validate();

        var saved = new Dictionary<string, Tensor>();
        using (no_grad())
        {
            foreach (var (name, value) in ModuleState.Unique(model.Network))
            {
                saved[name] = value.detach().clone().DetachFromDisposeScope();
            }
        }
        var points = new List<LearningRateFinderPoint>();
        try
        {
            var parameters = model.Network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.parameter).ToList();
            using Optimizer optimizer = options.Optimizer.Create(new[] { new ParameterGroup(parameters) });
            var random = new Random(options.Seed);
            int batchSize = Math.Min(options.BatchSize, train.Count);
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            int position = train.Count;
            double average = 0, best = double.PositiveInfinity;
            model.Network.train();
            for (int step = 0; step < steps; step++)
            {
                if (position + batchSize > train.Count)
                {
                    random.Shuffle(order);
                    position = 0;
                }
                ReadOnlySpan<int> indices = order.AsSpan(position, batchSize);
                position += batchSize;
                double rate = startLearningRate * Math.Pow(endLearningRate / startLearningRate, step / (double)(steps - 1));
                optimizer.LearningRate = rate;
                double loss;
                using (var scope = NewDisposeScope())
                {
                    long[] labelValues = new long[indices.Length];
                    for (int i = 0; i < indices.Length; i++)
                    {
                        labelValues[i] = train.GetLabel(indices[i]);
                    }
                    Tensor labels = tensor(labelValues, device: model.Device);
                    var inputs = train.Collate(indices, augment: true, random).Select(t => t.device == model.Device ? t : t.to(model.Device)).ToArray();
                    Tensor output = nn.functional.cross_entropy(model.Forward(inputs).to(ScalarType.Float32), labels, label_smoothing: options.LabelSmoothing);
                    optimizer.ZeroGrad();
                    output.backward();
                    if (options.GradientClipNorm is double clip)
                    {
                        optimizer.ClipGradNorm(clip);
                    }
                    optimizer.Step();
                    loss = output.item<float>();
                }
                average = Beta * average + (1 - Beta) * loss;
                double smoothed = average / (1 - Math.Pow(Beta, step + 1));
                points.Add(new LearningRateFinderPoint(rate, loss, smoothed));
                if (!double.IsFinite(smoothed) || smoothed > 4 * best)
                {
                    break;
                }
                best = Math.Min(best, smoothed);
            }
        }
        finally
        {
            using (no_grad())
            {
                foreach (var (name, value) in ModuleState.Unique(model.Network))
                {
                    value.copy_(saved[name]);
                }
            }
            foreach (Tensor t in saved.Values)
            {
                t.Dispose();
            }
        }
        return new LearningRateFinderResult(points, Suggest(points));
    }

    /// <summary>Checks the ramp's arguments, so that a caller can fail before reading any data.</summary>
    internal static void CheckArguments(double startLearningRate, double endLearningRate, int steps)
    {
        if (!(double.IsFinite(startLearningRate) && startLearningRate > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(startLearningRate), $"startLearningRate must be positive (was {startLearningRate}).");
        }
        if (!(double.IsFinite(endLearningRate) && endLearningRate > startLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(endLearningRate), $"endLearningRate must be above startLearningRate (was {endLearningRate}).");
        }
        if (steps < SkipBegin + SkipEnd + 2)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be at least {SkipBegin + SkipEnd + 2} (was {steps}).");
        }
    }

    /// <summary>The rate at the most negative central difference of the smoothed loss (one-sided at the ends).</summary>
    private static double Suggest(IReadOnlyList<LearningRateFinderPoint> points)
    {
        int last = points.Count - 1 - SkipEnd;
        if (last <= SkipBegin)
        {
            // Diverged almost at once: the smallest rate is the only safe suggestion.
            return points[0].LearningRate;
        }
        int bestIndex = SkipBegin;
        double steepest = double.PositiveInfinity;
        for (int i = SkipBegin; i <= last; i++)
        {
            double slope = i == 0 ? points[1].SmoothedLoss - points[0].SmoothedLoss
                : i == points.Count - 1 ? points[i].SmoothedLoss - points[i - 1].SmoothedLoss
                : (points[i + 1].SmoothedLoss - points[i - 1].SmoothedLoss) / 2;
            if (double.IsFinite(slope) && slope < steepest)
            {
                steepest = slope;
                bestIndex = i;
            }
        }
        return points[bestIndex].LearningRate;
    }
}
