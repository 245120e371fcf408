using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// The search space of an <see cref="OptimizerExperiment{TOptions}"/>: which optimizers to try, and for each the
/// ranges of learning rate and weight decay, the momentum or betas, and the learning-rate schedules.
/// </summary>
/// <remarks>
/// Learning rates and weight decays are per optimizer because their useful scales differ by orders of magnitude:
/// SGD takes rates around 0.1, Adam around 1e-3 and Lion 3–10 times less; AdamW's and Lion's decoupled decay is
/// multiplied by the learning rate (PyTorch's form <c>p *= 1 - lr * wd</c>), so it is searched at 1e-4–0.3, while
/// coupled L2 decay (SGD, Adam-L2) is added to the gradient and lives around 1e-5–1e-3. The defaults are those scales.
/// </remarks>
public sealed class OptimizerSearchSpace
{
    /// <summary>The optimizers to choose among (each sampled configuration picks one uniformly). Default: all four.</summary>
    public IList<OptimizerKind> Optimizers { get; set; } = new List<OptimizerKind>
    {
        OptimizerKind.SgdMomentum, OptimizerKind.AdamW, OptimizerKind.AdamL2, OptimizerKind.Lion,
    };

    /// <summary>Learning-rate range of each optimizer (log-uniform by default).</summary>
    public IDictionary<OptimizerKind, SearchRange> LearningRates { get; set; } = new Dictionary<OptimizerKind, SearchRange>
    {
        [OptimizerKind.SgdMomentum] = SearchRange.LogUniform(1e-3, 0.5),
        [OptimizerKind.AdamW] = SearchRange.LogUniform(1e-4, 1e-2),
        [OptimizerKind.AdamL2] = SearchRange.LogUniform(1e-4, 1e-2),
        [OptimizerKind.Lion] = SearchRange.LogUniform(1e-5, 1e-3),
    };

    /// <summary>Weight-decay range of each optimizer when it is not 0 (log-uniform by default; see the remarks for the scales).</summary>
    public IDictionary<OptimizerKind, SearchRange> WeightDecays { get; set; } = new Dictionary<OptimizerKind, SearchRange>
    {
        [OptimizerKind.SgdMomentum] = SearchRange.LogUniform(1e-5, 1e-2),
        [OptimizerKind.AdamW] = SearchRange.LogUniform(1e-4, 0.3),
        [OptimizerKind.AdamL2] = SearchRange.LogUniform(1e-6, 1e-3),
        [OptimizerKind.Lion] = SearchRange.LogUniform(1e-3, 1.0),
    };

    /// <summary>Probability that a configuration uses no weight decay at all (a log-uniform range cannot reach 0). Default 0.2.</summary>
    public double ZeroWeightDecayProbability { get; set; } = 0.2;

    /// <summary>SGD momentum. Default uniform [0.8, 0.99].</summary>
    public SearchRange Momentum { get; set; } = SearchRange.Uniform(0.8, 0.99);

    /// <summary>Use Nesterov momentum for SGD.</summary>
    public bool Nesterov { get; set; } = true;

    /// <summary>Beta1 of Adam, AdamW and Lion. Default uniform [0.85, 0.95].</summary>
    public SearchRange Beta1 { get; set; } = SearchRange.Uniform(0.85, 0.95);

    /// <summary>Beta2 of Adam and AdamW. Default uniform [0.99, 0.999].</summary>
    public SearchRange Beta2 { get; set; } = SearchRange.Uniform(0.99, 0.999);

    /// <summary>Beta2 of Lion (the rate of its momentum). Default 0.99, the Lion paper's value.</summary>
    public SearchRange LionBeta2 { get; set; } = SearchRange.Fixed(0.99);

    /// <summary>
    /// The learning-rate schedules to choose among (each configuration picks one uniformly; trials get a clone).
    /// Default: warmup (5%) + cosine decay, and a constant rate.
    /// </summary>
    public IList<ScheduleOptions> Schedules { get; set; } = new List<ScheduleOptions>
    {
        new WarmupCosineSchedule { WarmupRatio = 0.05 },
        new ConstantSchedule(),
    };

    /// <summary>Throws an exception naming the first invalid option.</summary>
    public void Validate()
    {
        const string prefix = nameof(OptimizerExperimentOptions.SearchSpace) + ".";
        if (Optimizers == null || Optimizers.Count == 0)
        {
            throw new ArgumentException($"{prefix}{nameof(Optimizers)} must list at least one optimizer.", nameof(Optimizers));
        }
        foreach (OptimizerKind kind in Optimizers)
        {
            if (!Enum.IsDefined(kind))
            {
                throw new ArgumentOutOfRangeException(nameof(Optimizers), $"{prefix}{nameof(Optimizers)} contains an unknown optimizer ({kind}).");
            }
            SearchRange lr = Lookup(LearningRates, kind, nameof(LearningRates));
            lr.Validate($"{prefix}{nameof(LearningRates)}[{kind}]", 0, double.MaxValue);
            if (lr.Min <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRates), $"{prefix}{nameof(LearningRates)}[{kind}] must be > 0 (was [{lr.Min}, {lr.Max}]).");
            }
            Lookup(WeightDecays, kind, nameof(WeightDecays)).Validate($"{prefix}{nameof(WeightDecays)}[{kind}]", 0, double.MaxValue);
        }
        if (Optimizers.Distinct().Count() != Optimizers.Count)
        {
            throw new ArgumentException($"{prefix}{nameof(Optimizers)} lists an optimizer twice.", nameof(Optimizers));
        }
        if (!double.IsFinite(ZeroWeightDecayProbability) || ZeroWeightDecayProbability < 0 || ZeroWeightDecayProbability > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ZeroWeightDecayProbability), $"{prefix}{nameof(ZeroWeightDecayProbability)} must be in [0, 1] (was {ZeroWeightDecayProbability}).");
        }
        Require(Momentum, nameof(Momentum)).Validate(prefix + nameof(Momentum), 0, 1, upperExclusive: true);
        Require(Beta1, nameof(Beta1)).Validate(prefix + nameof(Beta1), 0, 1, upperExclusive: true);
        Require(Beta2, nameof(Beta2)).Validate(prefix + nameof(Beta2), 0, 1, upperExclusive: true);
        Require(LionBeta2, nameof(LionBeta2)).Validate(prefix + nameof(LionBeta2), 0, 1, upperExclusive: true);
        if (Schedules == null || Schedules.Count == 0 || Schedules.Any(s => s == null))
        {
            throw new ArgumentException($"{prefix}{nameof(Schedules)} must list at least one schedule and no nulls (use ConstantSchedule for a fixed rate).", nameof(Schedules));
        }
    }

    private static SearchRange Lookup(IDictionary<OptimizerKind, SearchRange> ranges, OptimizerKind kind, string option)
    {
        if (ranges == null || !ranges.TryGetValue(kind, out SearchRange? range) || range == null)
        {
            throw new ArgumentException($"SearchSpace.{option} has no range for {kind}, which SearchSpace.Optimizers lists.", option);
        }
        return range;
    }

    private static SearchRange Require(SearchRange? range, string option)
        => range ?? throw new ArgumentNullException(option, $"SearchSpace.{option} must be set.");
}
