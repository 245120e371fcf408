using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Settings of an optimizer, in ML.NET style: settable, validated properties with PyTorch's defaults.
/// A trainer's options hold one of these as a template and call <see cref="Create(IEnumerable{Parameter})"/> once the
/// model exists.
/// </summary>
/// <remarks>
/// Setters reject invalid values at once with an <see cref="ArgumentOutOfRangeException"/> naming the option;
/// conditions that involve several options (e.g. Nesterov momentum) are checked by <c>Create</c>.
/// </remarks>
public abstract class OptimizerOptions
{
    private double _learningRate;
    private double _weightDecay;

    private protected OptimizerOptions(double learningRate, double weightDecay)
    {
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    /// <summary>The learning rate (must be &gt;= 0 and finite).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = Check.NonNegative(value, nameof(LearningRate));
    }

    /// <summary>The weight decay (must be &gt;= 0 and finite). Coupled L2 or decoupled depending on the optimizer.</summary>
    public double WeightDecay
    {
        get => _weightDecay;
        set => _weightDecay = Check.NonNegative(value, nameof(WeightDecay));
    }

    /// <summary>Maximize the objective instead of minimizing it (the gradient is negated before anything else).</summary>
    public bool Maximize { get; set; }

    /// <summary>
    /// Use libtorch's fused optimizer kernels when they exist for the parameters' device and type (default
    /// <see langword="true"/>). Set to <see langword="false"/> to force the portable path of in-place tensor operations,
    /// which computes the same arithmetic; tests and benchmarks use this switch.
    /// </summary>
    public bool UseFusedKernels { get; set; } = true;

    /// <summary>A short name of the algorithm, e.g. "AdamW"; checkpoints record it.</summary>
    public abstract string AlgorithmName { get; }

    /// <summary>The value a group's <see cref="LiveParameterGroup.Momentum"/> takes when the group does not set it.</summary>
    internal abstract double DefaultMomentum { get; }

    /// <summary>Creates an optimizer over parameter groups; values a group leaves unset come from these options.</summary>
    /// <param name="groups">The groups; a parameter may appear in only one of them.</param>
    public Optimizer Create(IEnumerable<ParameterGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ParameterGroup[] list = groups.ToArray();
        if (list.Length == 0 || list.All(g => g is null || g.Parameters.Count == 0))
        {
            throw new ArgumentException("The optimizer got no parameters.", nameof(groups));
        }
        if (list.Any(g => g is null))
        {
            throw new ArgumentException("The group list contains null.", nameof(groups));
        }
        LiveParameterGroup[] live = list.Select(g => new LiveParameterGroup(g, LearningRate, WeightDecay, DefaultMomentum)).ToArray();
        foreach (LiveParameterGroup group in live)
        {
            // Sparse-SGD groups take no momentum or decay, so the algorithm's constraints do not concern them.
            if (group.Rule == GroupUpdateRule.Optimizer)
            {
                ValidateGroup(group);
            }
        }
        return CreateOptimizer(live);
    }

    /// <summary>Creates an optimizer over one group holding all <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize, e.g. <c>module.parameters()</c>.</param>
    public Optimizer Create(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Create(new[] { new ParameterGroup(parameters) });
    }

    /// <summary>
    /// Checks the conditions that involve several options (e.g. Nesterov momentum needs momentum), as <c>Create</c> does
    /// for each group, on the options' own values: trainers call it at construction, before any parameter exists.
    /// Groups that override momentum are still checked by <c>Create</c>.
    /// </summary>
    public void Validate()
        => ValidateGroup(new LiveParameterGroup(new ParameterGroup(Array.Empty<Parameter>()), LearningRate, WeightDecay, DefaultMomentum));

    /// <summary>A copy of these options (AutoML searches copy a template before changing it).</summary>
    public OptimizerOptions Clone() => (OptimizerOptions)MemberwiseClone();

    /// <summary>Checks a resolved group against the algorithm's constraints (e.g. beta1 &lt; 1).</summary>
    internal virtual void ValidateGroup(LiveParameterGroup group)
    {
    }

    internal abstract Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups);
}
