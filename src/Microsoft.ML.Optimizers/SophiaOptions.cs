using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// SophiaG (Liu et al. 2023, "Sophia: A Scalable Stochastic Second-order Optimizer"), as the reference
/// <c>sophia.SophiaG</c>: a momentum step divided element-wise by a diagonal Hessian estimate and clipped to the
/// momentum's sign, <c>p -= lr * sign(m) * min(|m| / (rho * bs * h + 1e-15), 1)</c>, with decoupled weight decay. The
/// training loop refreshes the estimate every few steps through <see cref="IHessianEstimating.UpdateHessian"/> (the
/// optimizer <c>Create</c> returns implements it); before the first refresh the step is sign descent. Two state buffers
/// per parameter. Defaults (reference): lr 1e-4, betas (0.965, 0.99), rho 0.04, weight decay 0.1, batch size 5120.
/// </summary>
public sealed class SophiaOptions : OptimizerOptions
{
    private double _beta1 = 0.965;
    private double _beta2 = 0.99;
    private double _rho = 0.04;
    private double _batchSize = 5120;
    private int _hessianUpdateInterval = 10;

    /// <summary>Creates options with the reference's defaults.</summary>
    public SophiaOptions() : base(learningRate: 1e-4, weightDecay: 0.1)
    {
    }

    /// <summary>Decay of the momentum, 0 &lt;= beta1 &lt; 1; default 0.965.</summary>
    public double Beta1
    {
        get => _beta1;
        set => _beta1 = Check.Beta(value, nameof(Beta1));
    }

    /// <summary>Decay of the Hessian estimate at each refresh, 0 &lt;= beta2 &lt; 1; default 0.99.</summary>
    public double Beta2
    {
        get => _beta2;
        set => _beta2 = Check.Beta(value, nameof(Beta2));
    }

    /// <summary>The clipping scale rho (&gt;= 0); default 0.04.</summary>
    public double Rho
    {
        get => _rho;
        set => _rho = Check.NonNegative(value, nameof(Rho));
    }

    /// <summary>
    /// The reference's <c>step(bs=...)</c>: the number of examples (tokens for language models) per batch that scales
    /// the Hessian in the denominator (&gt; 0); default 5120.
    /// </summary>
    public double BatchSize
    {
        get => _batchSize;
        set => _batchSize = Check.Positive(value, nameof(BatchSize));
    }

    /// <summary>
    /// How many optimizer steps a training loop lets pass between refreshes of the Hessian estimate (k, &gt;= 1); default
    /// 10, the reference training script's <c>hess_interval</c>. The optimizer itself does not read it.
    /// </summary>
    public int HessianUpdateInterval
    {
        get => _hessianUpdateInterval;
        set => _hessianUpdateInterval = (int)Check.Positive(value, nameof(HessianUpdateInterval));
    }

    /// <inheritdoc/>
    public override string AlgorithmName => "SophiaG";

    internal override double DefaultMomentum => Beta1;

    internal override void ValidateGroup(LiveParameterGroup group) => Check.Beta(group.Momentum, nameof(Beta1));

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new SophiaOptimizer(this, groups);
}
