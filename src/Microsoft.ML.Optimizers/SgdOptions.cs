using System;
using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening and Nesterov momentum, exactly as PyTorch's
/// <c>torch.optim.SGD</c>: coupled L2 weight decay (<c>g += wd * p</c>), the momentum buffer starts as the first
/// gradient, and <see cref="OptimizerOptions.Maximize"/> negates the gradient before weight decay is added.
/// </summary>
public sealed class SgdOptions : OptimizerOptions
{
    private double _momentum;
    private double _dampening;

    /// <summary>Creates options with PyTorch's defaults: lr 1e-3, no momentum, no weight decay.</summary>
    public SgdOptions() : base(learningRate: 1e-3, weightDecay: 0.0)
    {
    }

    /// <summary>The momentum factor (must be &gt;= 0 and finite; 0 turns momentum off).</summary>
    public double Momentum
    {
        get => _momentum;
        set => _momentum = Check.NonNegative(value, nameof(Momentum));
    }

    /// <summary>Dampening of the gradient's contribution to the momentum buffer, between 0 and 1.</summary>
    public double Dampening
    {
        get => _dampening;
        set => _dampening = Check.Fraction(value, nameof(Dampening));
    }

    /// <summary>Use Nesterov momentum; requires <see cref="Momentum"/> &gt; 0 and <see cref="Dampening"/> == 0.</summary>
    public bool Nesterov { get; set; }

    /// <inheritdoc/>
    public override string AlgorithmName => "SGD";

    internal override double DefaultMomentum => Momentum;

    internal override void ValidateGroup(LiveParameterGroup group)
    {
        if (Nesterov && (group.Momentum <= 0 || Dampening != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Nesterov),
                $"Nesterov momentum requires Momentum > 0 and Dampening == 0 (Momentum was {group.Momentum}, Dampening was {Dampening}).");
        }
    }

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new SgdOptimizer(this, groups);
}
