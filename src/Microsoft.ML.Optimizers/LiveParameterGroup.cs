using System.Collections.Generic;
using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// A parameter group as the optimizer holds it (an entry of PyTorch's <c>param_groups</c>): every hyperparameter
/// resolved against the options, changeable between steps by schedules or the user (a change applies from the next
/// <see cref="Optimizer.Step"/>). Read them through <see cref="Optimizer.ParameterGroups"/>.
/// </summary>
public sealed class LiveParameterGroup
{
    private double _learningRate;
    private double _weightDecay;
    private double _momentum;

    internal LiveParameterGroup(ParameterGroup spec, double learningRate, double weightDecay, double momentum)
    {
        Parameters = spec.Parameters;
        Name = spec.Name;
        Rule = spec.Rule;
        LearningRate = spec.LearningRate ?? learningRate;
        // A sparse-SGD group has neither (ParameterGroup rejects non-zero values): its defaults are not the options'.
        bool sparse = spec.Rule == GroupUpdateRule.SparseSgd;
        WeightDecay = sparse ? 0.0 : spec.WeightDecay ?? weightDecay;
        Momentum = sparse ? 0.0 : spec.Momentum ?? momentum;
        InitialLearningRate = LearningRate;
    }

    /// <summary>The parameters of the group, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The label the group was given, if any.</summary>
    public string? Name { get; }

    /// <summary>How the group is updated.</summary>
    public GroupUpdateRule Rule { get; }

    /// <summary>The current learning rate (schedules change it between steps); &gt;= 0.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = Check.NonNegative(value, nameof(LearningRate));
    }

    /// <summary>The weight decay: coupled L2 for SGD and Adam, decoupled for AdamW and Lion; &gt;= 0.</summary>
    public double WeightDecay
    {
        get => _weightDecay;
        set => _weightDecay = Check.NonNegative(value, nameof(WeightDecay));
    }

    /// <summary>SGD's momentum, or beta1 for Adam, AdamW and Lion (one-cycle schedules cycle it); &gt;= 0. Unused by sparse SGD.</summary>
    public double Momentum
    {
        get => _momentum;
        set => _momentum = Check.NonNegative(value, nameof(Momentum));
    }

    /// <summary>The learning rate the group had when the optimizer was created (PyTorch's <c>initial_lr</c>); schedules scale it.</summary>
    public double InitialLearningRate { get; internal set; }
}
