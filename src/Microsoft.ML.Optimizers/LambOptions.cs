using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning"), as timm's <c>timm.optim.Lamb</c>: an Adam
/// update with L2 (or decoupled) weight decay, scaled per tensor by the trust ratio <c>‖p‖ / ‖update‖</c>; gradients are
/// first clipped by their global norm. Layer adaptation applies only where weight decay is non-zero unless
/// <see cref="AlwaysAdapt"/>. Two state buffers per parameter. Defaults (timm): lr 1e-3, betas (0.9, 0.999), eps 1e-6,
/// weight decay 0.01, bias correction and gradient averaging on, global clipping at 1.0.
/// </summary>
public sealed class LambOptions : OptimizerOptions
{
    private double _beta1 = 0.9;
    private double _beta2 = 0.999;
    private double _epsilon = 1e-6;
    private double? _maxGradNorm = 1.0;

    /// <summary>Creates options with timm's defaults.</summary>
    public LambOptions() : base(learningRate: 1e-3, weightDecay: 0.01)
    {
    }

    /// <summary>Decay of the first moment, 0 &lt;= beta1 &lt; 1; default 0.9.</summary>
    public double Beta1
    {
        get => _beta1;
        set => _beta1 = Check.Beta(value, nameof(Beta1));
    }

    /// <summary>Decay of the second moment, 0 &lt;= beta2 &lt; 1; default 0.999.</summary>
    public double Beta2
    {
        get => _beta2;
        set => _beta2 = Check.Beta(value, nameof(Beta2));
    }

    /// <summary>Term added to the denominator (must be &gt; 0); default 1e-6.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = Check.Positive(value, nameof(Epsilon));
    }

    /// <summary>Divide the moments by their bias corrections (default true).</summary>
    public bool BiasCorrection { get; set; } = true;

    /// <summary>Weight the gradient by <c>1 - beta1</c> in the first moment (default true); otherwise by 1.</summary>
    public bool GradientAveraging { get; set; } = true;

    /// <summary>
    /// Global gradient-norm clipping before the moments (default 1.0; null turns it off): every gradient is divided by
    /// <c>max(1, norm / MaxGradNorm)</c>, the norm taken over all groups' gradients together. Must be &gt; 0.
    /// </summary>
    public double? MaxGradNorm
    {
        get => _maxGradNorm;
        set => _maxGradNorm = value is double v ? Check.Positive(v, nameof(MaxGradNorm)) : null;
    }

    /// <summary>Clip the trust ratio at 1 (LAMBC).</summary>
    public bool TrustClip { get; set; }

    /// <summary>Apply the trust ratio also to groups without weight decay.</summary>
    public bool AlwaysAdapt { get; set; }

    /// <summary>Decoupled decay (<c>p -= lr * wd * p</c> before the norms) instead of adding <c>wd * p</c> to the update.</summary>
    public bool DecoupledDecay { get; set; }

    /// <inheritdoc/>
    public override string AlgorithmName => "LAMB";

    internal override double DefaultMomentum => Beta1;

    internal override void ValidateGroup(LiveParameterGroup group) => Check.Beta(group.Momentum, nameof(Beta1));

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new LambOptimizer(this, groups);
}
