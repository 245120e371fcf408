using System;
using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// LARS (You et al. 2017, "Large Batch Training of Convolutional Networks"), as timm's <c>timm.optim.Lars</c>: the
/// gradient plus L2 decay is scaled per tensor by <c>trust_coeff * ‖p‖ / (‖g‖ + wd * ‖p‖ + eps)</c> (only where weight
/// decay is non-zero, unless <see cref="AlwaysAdapt"/>), then PyTorch's SGD momentum applies. One state buffer with
/// momentum, none without. Defaults (timm): lr 1.0, no momentum, no weight decay, trust coefficient 1e-3, eps 1e-8.
/// </summary>
public sealed class LarsOptions : OptimizerOptions
{
    private double _momentum;
    private double _dampening;
    private double _trustCoefficient = 1e-3;
    private double _epsilon = 1e-8;

    /// <summary>Creates options with timm's defaults.</summary>
    public LarsOptions() : base(learningRate: 1.0, weightDecay: 0.0)
    {
    }

    /// <summary>The momentum factor (&gt;= 0; 0 turns momentum off); default 0.</summary>
    public double Momentum
    {
        get => _momentum;
        set => _momentum = Check.NonNegative(value, nameof(Momentum));
    }

    /// <summary>Dampening of the gradient's contribution to the momentum buffer, between 0 and 1; default 0.</summary>
    public double Dampening
    {
        get => _dampening;
        set => _dampening = Check.Fraction(value, nameof(Dampening));
    }

    /// <summary>Use Nesterov momentum; requires <see cref="Momentum"/> &gt; 0 and <see cref="Dampening"/> == 0.</summary>
    public bool Nesterov { get; set; }

    /// <summary>The trust coefficient (&gt; 0); default 1e-3.</summary>
    public double TrustCoefficient
    {
        get => _trustCoefficient;
        set => _trustCoefficient = Check.Positive(value, nameof(TrustCoefficient));
    }

    /// <summary>Term added to the trust ratio's denominator (&gt; 0); default 1e-8.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = Check.Positive(value, nameof(Epsilon));
    }

    /// <summary>Clip the trust ratio divided by the learning rate at 1 (LARC).</summary>
    public bool TrustClip { get; set; }

    /// <summary>Apply the trust ratio also to groups without weight decay.</summary>
    public bool AlwaysAdapt { get; set; }

    /// <inheritdoc/>
    public override string AlgorithmName => "LARS";

    internal override double DefaultMomentum => Momentum;

    internal override void ValidateGroup(LiveParameterGroup group)
    {
        if (Nesterov && (group.Momentum <= 0 || Dampening != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Nesterov),
                $"Nesterov momentum requires Momentum > 0 and Dampening == 0 (Momentum was {group.Momentum}, Dampening was {Dampening}).");
        }
    }

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new LarsOptimizer(this, groups);
}
