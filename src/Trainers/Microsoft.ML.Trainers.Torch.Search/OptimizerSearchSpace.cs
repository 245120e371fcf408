using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// The search space of an <see cref="OptimizerExperiment{TOptions}"/>: the optimizers to try, each with the ranges of its
/// learning rate, weight decay and other settings (<see cref="OptimizerCandidate"/>), and the learning-rate schedules.
/// </summary>
/// <remarks>
/// Learning rates and weight decays are per optimizer because their useful scales differ by orders of magnitude:
/// SGD takes rates around 0.1, Adam around 1e-3 and Lion 3–10 times less; AdamW's and Lion's decoupled decay is
/// multiplied by the learning rate (PyTorch's form <c>p *= 1 - lr * wd</c>), so it is searched at 1e-4–0.3, while
/// coupled L2 decay (SGD, Adam-L2) is added to the gradient and lives around 1e-5–1e-3. The defaults are those scales
/// (<see cref="OptimizerCandidate.SgdMomentum"/>, <see cref="OptimizerCandidate.AdamW"/>, <see cref="OptimizerCandidate.AdamL2"/>,
/// <see cref="OptimizerCandidate.Lion"/>).
/// </remarks>
public sealed class OptimizerSearchSpace
{
    /// <summary>
    /// The optimizers to choose among (each sampled configuration picks one uniformly). Default: SGD with Nesterov momentum,
    /// AdamW, Adam with L2, Lion: the four well-understood baselines, so a small budget is not spread over 11 optimizers.
    /// Search all of them with <c>new List&lt;OptimizerCandidate&gt;(OptimizerCandidate.All())</c>; narrow or adjust with
    /// <c>with</c>: <c>OptimizerCandidate.AdamW() with { LearningRate = ... }</c>.
    /// </summary>
    public IList<OptimizerCandidate> Optimizers { get; set; } = new List<OptimizerCandidate>
    {
        OptimizerCandidate.SgdMomentum(), OptimizerCandidate.AdamW(), OptimizerCandidate.AdamL2(), OptimizerCandidate.Lion(),
    };

    /// <summary>Probability that a configuration uses no weight decay at all (a log-uniform range cannot reach 0). Default 0.2.</summary>
    public double ZeroWeightDecayProbability { get; set; } = 0.2;

    /// <summary>
    /// The learning-rate schedules to choose among (each configuration picks one uniformly; trials get a clone).
    /// Default: warmup (5%) + cosine decay, and a constant rate.
    /// </summary>
    public IList<ScheduleOptions> Schedules { get; set; } = new List<ScheduleOptions>
    {
        new WarmupCosineSchedule { WarmupRatio = 0.05 },
        new ConstantSchedule(),
    };

    /// <summary>
    /// The hyperparameter dimensions every configuration draws, in order: each distinct (name, range) of the candidates'
    /// <see cref="OptimizerCandidate.Hyperparameters"/> in the order listed. Drawing all of them whatever optimizer a
    /// configuration picks keeps the draws per configuration fixed, so the seed alone fixes the sequence.
    /// </summary>
    internal IReadOnlyList<(string Name, SearchRange Range)> Dimensions()
        => Optimizers.SelectMany(c => c.Hyperparameters.Select(h => (h.Key, h.Value))).Distinct().ToList();

    /// <summary>Throws an exception naming the first invalid option.</summary>
    public void Validate()
    {
        const string prefix = nameof(OptimizerExperimentOptions.SearchSpace) + ".";
        if (Optimizers == null || Optimizers.Count == 0)
        {
            throw new ArgumentException($"{prefix}{nameof(Optimizers)} must list at least one optimizer.", nameof(Optimizers));
        }
        for (int i = 0; i < Optimizers.Count; i++)
        {
            OptimizerCandidate candidate = Optimizers[i]
                ?? throw new ArgumentNullException(nameof(Optimizers), $"{prefix}{nameof(Optimizers)}[{i}] is null.");
            candidate.Validate($"{prefix}{nameof(Optimizers)}[{candidate.Name ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]");
        }
        if (Optimizers.Select(c => c.Name).Distinct().Count() != Optimizers.Count)
        {
            throw new ArgumentException($"{prefix}{nameof(Optimizers)} lists an optimizer name twice.", nameof(Optimizers));
        }
        if (!double.IsFinite(ZeroWeightDecayProbability) || ZeroWeightDecayProbability < 0 || ZeroWeightDecayProbability > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ZeroWeightDecayProbability), $"{prefix}{nameof(ZeroWeightDecayProbability)} must be in [0, 1] (was {ZeroWeightDecayProbability}).");
        }
        if (Schedules == null || Schedules.Count == 0 || Schedules.Any(s => s == null))
        {
            throw new ArgumentException($"{prefix}{nameof(Schedules)} must list at least one schedule and no nulls (use ConstantSchedule for a fixed rate).", nameof(Schedules));
        }
    }
}
