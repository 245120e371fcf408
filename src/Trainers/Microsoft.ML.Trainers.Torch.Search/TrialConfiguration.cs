using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// One point of the search space: optimizer options (the optimizer library's own type, cloned from a candidate's template
/// with the sampled values) and a learning-rate schedule. Both are this configuration's own copies; trials train with
/// further clones (<see cref="CreateOptimizerOptions"/>, <see cref="CreateScheduleOptions"/>).
/// </summary>
public sealed class TrialConfiguration : IEquatable<TrialConfiguration>
{
    private readonly OptimizerOptions _optimizer;
    private readonly ScheduleOptions _schedule;

    internal TrialConfiguration(string optimizerName, OptimizerOptions optimizer, IReadOnlyList<KeyValuePair<string, double>> hyperparameters, ScheduleOptions schedule)
    {
        OptimizerName = optimizerName;
        _optimizer = optimizer;
        Hyperparameters = hyperparameters;
        _schedule = schedule;
    }

    /// <summary>The candidate's name, e.g. "AdamW".</summary>
    public string OptimizerName { get; }

    /// <summary>The optimizer options type, e.g. <see cref="AdamWOptions"/>.</summary>
    public Type OptimizerType => _optimizer.GetType();

    /// <summary>The (peak) learning rate.</summary>
    public double LearningRate => _optimizer.LearningRate;

    /// <summary>The weight decay (coupled L2 for SGD and Adam, decoupled for AdamW and Lion); 0 for none.</summary>
    public double WeightDecay => _optimizer.WeightDecay;

    /// <summary>The other sampled settings (e.g. Momentum, or Beta1 and Beta2), by property name, in the candidate's order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Hyperparameters { get; }

    /// <summary>The schedule's name, e.g. "WarmupCosine".</summary>
    public string ScheduleName => _schedule.ScheduleName;

    /// <summary>Fresh optimizer options for a trial of this configuration.</summary>
    public OptimizerOptions CreateOptimizerOptions() => _optimizer.Clone();

    /// <summary>A fresh schedule for a trial of this configuration.</summary>
    public ScheduleOptions CreateScheduleOptions() => _schedule.Clone();

    /// <inheritdoc />
    public bool Equals(TrialConfiguration? other) => other != null && OptimizerName == other.OptimizerName && OptimizerType == other.OptimizerType
        && LearningRate == other.LearningRate && WeightDecay == other.WeightDecay && Hyperparameters.SequenceEqual(other.Hyperparameters)
        && ScheduleName == other.ScheduleName;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TrialConfiguration);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(OptimizerName, LearningRate, WeightDecay, Hyperparameters.Count, ScheduleName);

    /// <summary>A compact, culture-invariant description, e.g. <c>AdamW lr=0.00123 wd=0.0456 Beta1=0.9 Beta2=0.999 WarmupCosine</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"{OptimizerName} lr={LearningRate:G4} wd={WeightDecay:G4}");
        foreach ((string name, double value) in Hyperparameters)
        {
            text.Append(c, $" {name}={value:G4}");
        }
        return text.Append(' ').Append(ScheduleName).ToString();
    }
}
