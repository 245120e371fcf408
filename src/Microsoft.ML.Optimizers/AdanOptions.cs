using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adan (Xie et al. 2022, "Adaptive Nesterov Momentum Algorithm"), as timm's <c>timm.optim.Adan</c>: three moments (of
/// the gradient, of the gradient difference, and of the squared Nesterov-corrected gradient), bias-corrected by a
/// per-group step count. Weight decay is proximal by default (<c>p /= 1 + lr * wd</c> after the update); with
/// <see cref="NoProx"/> it is decoupled (<c>p *= 1 - lr * wd</c> before). Four state buffers per parameter.
/// Defaults (timm): lr 1e-3, betas (0.98, 0.92, 0.99), eps 1e-8, weight decay 0.
/// </summary>
public sealed class AdanOptions : OptimizerOptions
{
    private double _beta1 = 0.98;
    private double _beta2 = 0.92;
    private double _beta3 = 0.99;
    private double _epsilon = 1e-8;

    /// <summary>Creates options with timm's defaults.</summary>
    public AdanOptions() : base(learningRate: 1e-3, weightDecay: 0.0)
    {
    }

    /// <summary>Decay of the gradient's average, 0 &lt;= beta1 &lt; 1; default 0.98.</summary>
    public double Beta1
    {
        get => _beta1;
        set => _beta1 = Check.Beta(value, nameof(Beta1));
    }

    /// <summary>Decay of the gradient difference's average, 0 &lt;= beta2 &lt; 1; default 0.92.</summary>
    public double Beta2
    {
        get => _beta2;
        set => _beta2 = Check.Beta(value, nameof(Beta2));
    }

    /// <summary>Decay of the second moment, 0 &lt;= beta3 &lt; 1; default 0.99.</summary>
    public double Beta3
    {
        get => _beta3;
        set => _beta3 = Check.Beta(value, nameof(Beta3));
    }

    /// <summary>Term added to the denominator (must be &gt; 0); default 1e-8.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = Check.Positive(value, nameof(Epsilon));
    }

    /// <summary>Decoupled decay before the update (<c>p *= 1 - lr*wd</c>) instead of the proximal division after it.</summary>
    public bool NoProx { get; set; }

    /// <inheritdoc/>
    public override string AlgorithmName => "Adan";

    internal override double DefaultMomentum => Beta1;

    internal override void ValidateGroup(LiveParameterGroup group) => Check.Beta(group.Momentum, nameof(Beta1));

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new AdanOptimizer(this, groups);
}
