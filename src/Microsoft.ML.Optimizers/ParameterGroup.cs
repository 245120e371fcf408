using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// What a user asks for one set of parameters, like an entry of the list given to a PyTorch optimizer: the parameters,
/// optional per-group hyperparameters and the group's <see cref="GroupUpdateRule"/>.
/// </summary>
/// <remarks>
/// A value left <see langword="null"/> means "use the optimizer options' value". The optimizer resolves each group into
/// a <see cref="LiveParameterGroup"/> (<see cref="Optimizer.ParameterGroups"/>), whose values schedules and users change
/// between steps. <see cref="Momentum"/> is the quantity that momentum schedules cycle: SGD's momentum, or beta1 for Adam,
/// AdamW and Lion.
/// </remarks>
public sealed class ParameterGroup
{
    /// <summary>Creates a group.</summary>
    /// <param name="parameters">The parameters; each may belong to only one group of an optimizer.</param>
    /// <param name="learningRate">The group's learning rate, or <see langword="null"/> for the options' value.</param>
    /// <param name="weightDecay">The group's weight decay, or <see langword="null"/> for the options' value.</param>
    /// <param name="momentum">SGD momentum or Adam/AdamW/Lion beta1 for this group, or <see langword="null"/> for the options' value.</param>
    /// <param name="name">An optional label, e.g. "no_decay", for diagnostics.</param>
    /// <param name="rule">How the group is updated; default the optimizer's own algorithm.</param>
    public ParameterGroup(IEnumerable<Parameter> parameters, double? learningRate = null, double? weightDecay = null,
        double? momentum = null, string? name = null, GroupUpdateRule rule = GroupUpdateRule.Optimizer)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameter[] list = parameters.ToArray();
        if (list.Any(p => p is null))
        {
            throw new ArgumentException("The parameter list contains null.", nameof(parameters));
        }
        if (!Enum.IsDefined(rule))
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, $"Unknown group update rule {rule}.");
        }
        Parameters = list;
        LearningRate = Validate(learningRate, nameof(LearningRate));
        WeightDecay = Validate(weightDecay, nameof(WeightDecay));
        Momentum = Validate(momentum, nameof(Momentum));
        Name = name;
        Rule = rule;
        if (rule == GroupUpdateRule.SparseSgd && (WeightDecay is > 0 || Momentum is > 0))
        {
            throw new ArgumentOutOfRangeException(WeightDecay is > 0 ? nameof(weightDecay) : nameof(momentum),
                $"A {nameof(GroupUpdateRule.SparseSgd)} group takes no weight decay or momentum (WeightDecay was {WeightDecay}, Momentum was {Momentum}).");
        }
    }

    /// <summary>The parameters of the group, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The optional label given at construction.</summary>
    public string? Name { get; }

    /// <summary>The group's learning rate, or <see langword="null"/> for the options' value.</summary>
    public double? LearningRate { get; }

    /// <summary>The weight decay (coupled L2 for SGD and Adam, decoupled for AdamW and Lion), or <see langword="null"/> for the options' value.</summary>
    public double? WeightDecay { get; }

    /// <summary>SGD's momentum, or beta1 for Adam, AdamW and Lion, or <see langword="null"/> for the options' value.</summary>
    public double? Momentum { get; }

    /// <summary>How the group is updated.</summary>
    public GroupUpdateRule Rule { get; }

    /// <summary>
    /// A group of parameters with sparse gradients (e.g. an <c>EmbeddingBag</c> with <c>sparse: true</c>) updated by
    /// plain SGD at <paramref name="learningRate"/> (see <see cref="GroupUpdateRule.SparseSgd"/>); the optimizer's
    /// scheduler scales this rate like every other group's.
    /// </summary>
    /// <param name="parameters">The sparse-gradient parameters.</param>
    /// <param name="learningRate">The group's base learning rate (&gt;= 0).</param>
    /// <param name="name">A label for diagnostics; default "sparse".</param>
    public static ParameterGroup SparseSgd(IEnumerable<Parameter> parameters, double learningRate, string? name = "sparse") =>
        new(parameters, learningRate, weightDecay: 0.0, momentum: 0.0, name, GroupUpdateRule.SparseSgd);

    private static double? Validate(double? value, string name) => value is double v ? Check.NonNegative(v, name) : null;

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
