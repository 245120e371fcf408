using System;
using System.Globalization;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>One point of the search space: an optimizer with its hyperparameters and a learning-rate schedule.</summary>
public sealed class TrialConfiguration : IEquatable<TrialConfiguration>
{
    internal TrialConfiguration(OptimizerKind optimizer, double learningRate, double weightDecay, double? momentum, bool nesterov,
        double? beta1, double? beta2, ScheduleOptions schedule)
    {
        Optimizer = optimizer;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Nesterov = nesterov;
        Beta1 = beta1;
        Beta2 = beta2;
        Schedule = schedule;
    }

    /// <summary>The optimizer family.</summary>
    public OptimizerKind Optimizer { get; }

    /// <summary>The (peak) learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>The weight decay (coupled L2 for SGD and Adam-L2, decoupled for AdamW and Lion); 0 for none.</summary>
    public double WeightDecay { get; }

    /// <summary>SGD's momentum; null for the other optimizers.</summary>
    public double? Momentum { get; }

    /// <summary>Whether SGD uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>Beta1 of Adam, AdamW and Lion; null for SGD.</summary>
    public double? Beta1 { get; }

    /// <summary>Beta2 of Adam, AdamW and Lion; null for SGD.</summary>
    public double? Beta2 { get; }

    /// <summary>The learning-rate schedule (a template: trials train with a clone).</summary>
    public ScheduleOptions Schedule { get; }

    /// <summary>The schedule's name, e.g. "WarmupCosine".</summary>
    public string ScheduleName => Schedule.ScheduleName;

    /// <summary>Fresh optimizer options for this configuration; <paramref name="template"/>'s <c>UseFusedKernels</c> is kept.</summary>
    public OptimizerOptions CreateOptimizerOptions(OptimizerOptions? template = null)
    {
        OptimizerOptions options = Optimizer switch
        {
            OptimizerKind.SgdMomentum => new SgdOptions { Momentum = Momentum ?? 0.9, Nesterov = Nesterov },
            OptimizerKind.AdamW => new AdamWOptions { Beta1 = Beta1 ?? 0.9, Beta2 = Beta2 ?? 0.999 },
            OptimizerKind.AdamL2 => new AdamOptions { Beta1 = Beta1 ?? 0.9, Beta2 = Beta2 ?? 0.999 },
            OptimizerKind.Lion => new LionOptions { Beta1 = Beta1 ?? 0.9, Beta2 = Beta2 ?? 0.99 },
            _ => throw new InvalidOperationException($"Unknown optimizer {Optimizer}."),
        };
        options.LearningRate = LearningRate;
        options.WeightDecay = WeightDecay;
        if (template != null)
        {
            options.UseFusedKernels = template.UseFusedKernels;
        }
        return options;
    }

    /// <inheritdoc />
    public bool Equals(TrialConfiguration? other) => other != null && Optimizer == other.Optimizer && LearningRate == other.LearningRate
        && WeightDecay == other.WeightDecay && Momentum == other.Momentum && Nesterov == other.Nesterov && Beta1 == other.Beta1
        && Beta2 == other.Beta2 && ScheduleName == other.ScheduleName;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TrialConfiguration);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Optimizer, LearningRate, WeightDecay, Momentum, Beta1, Beta2, ScheduleName);

    /// <summary>A compact, culture-invariant description, e.g. <c>AdamW lr=0.00123 wd=0.0456 b1=0.9 b2=0.999 WarmupCosine</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string extra = Optimizer == OptimizerKind.SgdMomentum
            ? string.Format(c, " m={0:G4}{1}", Momentum, Nesterov ? " nesterov" : "")
            : string.Format(c, " b1={0:G4} b2={1:G4}", Beta1, Beta2);
        return string.Format(c, "{0} lr={1:G4} wd={2:G4}{3} {4}", Optimizer, LearningRate, WeightDecay, extra, ScheduleName);
    }
}
