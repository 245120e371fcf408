using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): the update is
/// <c>sign(beta1 * m + (1 - beta1) * g)</c>, then <c>m = beta2 * m + (1 - beta2) * g</c>; weight decay is decoupled
/// (<c>p *= 1 - lr * wd</c>). One state buffer per parameter. Lion wants a learning rate 3-10x smaller than AdamW's
/// and a weight decay 3-10x larger; defaults: lr 1e-4, betas (0.9, 0.99), weight decay 0.
/// </summary>
public sealed class LionOptions : OptimizerOptions
{
    private double _beta1 = 0.9;
    private double _beta2 = 0.99;

    /// <summary>Creates options with the paper's defaults (lr 1e-4, betas (0.9, 0.99), weight decay 0).</summary>
    public LionOptions() : base(learningRate: 1e-4, weightDecay: 0.0)
    {
    }

    /// <summary>Interpolation between momentum and gradient for the update's sign, 0 &lt;= beta1 &lt; 1; default 0.9.</summary>
    public double Beta1
    {
        get => _beta1;
        set => _beta1 = Check.Beta(value, nameof(Beta1));
    }

    /// <summary>Decay of the momentum buffer, 0 &lt;= beta2 &lt; 1; default 0.99.</summary>
    public double Beta2
    {
        get => _beta2;
        set => _beta2 = Check.Beta(value, nameof(Beta2));
    }

    /// <inheritdoc/>
    public override string AlgorithmName => "Lion";

    internal override double DefaultMomentum => Beta1;

    internal override void ValidateGroup(LiveParameterGroup group) => Check.Beta(group.Momentum, nameof(Beta1));

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new LionOptimizer(this, groups);
}
