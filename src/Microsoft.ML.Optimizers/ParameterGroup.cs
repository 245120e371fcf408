using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// A set of parameters that share hyperparameters, like an entry of PyTorch's <c>param_groups</c>.
/// </summary>
/// <remarks>
/// <para>
/// Before it is given to <see cref="OptimizerOptions.Create(IEnumerable{ParameterGroup})"/>, a value left
/// <see langword="null"/> means "use the optimizer options' value". The optimizer keeps its own copy of each group with
/// every value filled in: read and change the live values through <see cref="Optimizer.ParameterGroups"/>
/// (a change applies from the next <see cref="Optimizer.Step"/>).
/// </para>
/// <para>
/// <see cref="Momentum"/> is the quantity that momentum schedules cycle: SGD's momentum, or beta1 for Adam, AdamW and Lion.
/// </para>
/// </remarks>
public sealed class ParameterGroup
{
    private double? _learningRate;
    private double? _weightDecay;
    private double? _momentum;

    /// <summary>Creates a group.</summary>
    /// <param name="parameters">The parameters; each may belong to only one group of an optimizer.</param>
    /// <param name="learningRate">The group's learning rate, or <see langword="null"/> for the options' value.</param>
    /// <param name="weightDecay">The group's weight decay, or <see langword="null"/> for the options' value.</param>
    /// <param name="momentum">SGD momentum or Adam/AdamW/Lion beta1 for this group, or <see langword="null"/> for the options' value.</param>
    /// <param name="name">An optional label, e.g. "no_decay", for diagnostics.</param>
    public ParameterGroup(IEnumerable<Parameter> parameters, double? learningRate = null, double? weightDecay = null,
        double? momentum = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameter[] list = parameters.ToArray();
        if (list.Any(p => p is null))
        {
            throw new ArgumentException("The parameter list contains null.", nameof(parameters));
        }
        Parameters = list;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Name = name;
    }

    /// <summary>The parameters of the group, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The optional label given at construction.</summary>
    public string? Name { get; }

    /// <summary>The current learning rate (schedules change it between steps).</summary>
    public double? LearningRate
    {
        get => _learningRate;
        set => _learningRate = Validate(value, nameof(LearningRate));
    }

    /// <summary>The weight decay: coupled L2 for SGD and Adam, decoupled for AdamW and Lion.</summary>
    public double? WeightDecay
    {
        get => _weightDecay;
        set => _weightDecay = Validate(value, nameof(WeightDecay));
    }

    /// <summary>SGD's momentum, or beta1 for Adam, AdamW and Lion (one-cycle schedules cycle it).</summary>
    public double? Momentum
    {
        get => _momentum;
        set => _momentum = Validate(value, nameof(Momentum));
    }

    /// <summary>
    /// The learning rate the group had when the optimizer was created (PyTorch's <c>initial_lr</c>); schedules scale it.
    /// <see langword="null"/> until the group belongs to an optimizer.
    /// </summary>
    public double? InitialLearningRate { get; internal set; }

    /// <summary>True for the optimizer's own copy, whose values may not be cleared.</summary>
    internal bool IsBound { get; private set; }

    private double? Validate(double? value, string name)
    {
        if (value is null)
        {
            if (IsBound)
            {
                throw new ArgumentNullException(name, $"{name} of a group that belongs to an optimizer cannot be null.");
            }
            return null;
        }
        return Check.NonNegative(value.Value, name);
    }

    /// <summary>The optimizer's copy, with every value resolved against the options.</summary>
    internal ParameterGroup Bind(double learningRate, double weightDecay, double momentum)
    {
        var bound = new ParameterGroup(Parameters, _learningRate ?? learningRate, _weightDecay ?? weightDecay,
            _momentum ?? momentum, Name);
        bound.InitialLearningRate = bound.LearningRate;
        bound.IsBound = true;
        return bound;
    }

    /// <summary>
    /// Splits named parameters into a group that takes weight decay and a group that does not (weight decay 0),
    /// the way Hugging Face's Trainer and timm do: biases and normalization weights are not decayed.
    /// </summary>
    /// <param name="named">Parameters with their names, e.g. <c>module.named_parameters()</c>.</param>
    /// <returns>
    /// Always two groups, in this order: "decay" (weight decay from the options) and "no_decay" (weight decay 0);
    /// either may be empty.
    /// </returns>
    /// <remarks>
    /// A parameter goes to "no_decay" when it has at most one dimension, when the last segment of its dotted name ends
    /// with <c>bias</c> or <c>norm</c>, or when the segment before a final <c>weight</c> ends with <c>norm</c>
    /// (e.g. <c>LayerNorm.weight</c>); comparisons ignore case.
    /// </remarks>
    public static IReadOnlyList<ParameterGroup> SplitNoDecay(IEnumerable<(string name, Parameter parameter)> named)
    {
        ArgumentNullException.ThrowIfNull(named);
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach ((string name, Parameter parameter) in named)
        {
            ArgumentNullException.ThrowIfNull(parameter, nameof(named));
            (IsNoDecay(name ?? string.Empty, parameter.dim()) ? noDecay : decay).Add(parameter);
        }
        return new[]
        {
            new ParameterGroup(decay, name: "decay"),
            new ParameterGroup(noDecay, weightDecay: 0.0, name: "no_decay"),
        };
    }

    /// <summary>The rule behind <see cref="SplitNoDecay"/>, for one parameter.</summary>
    internal static bool IsNoDecay(string name, long dimensions)
    {
        if (dimensions <= 1)
        {
            return true;
        }
        string[] segments = name.Split('.');
        string last = segments[^1];
        if (last.EndsWith("bias", StringComparison.OrdinalIgnoreCase) || last.EndsWith("norm", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return segments.Length >= 2
            && last.Equals("weight", StringComparison.OrdinalIgnoreCase)
            && segments[^2].EndsWith("norm", StringComparison.OrdinalIgnoreCase);
    }
}
