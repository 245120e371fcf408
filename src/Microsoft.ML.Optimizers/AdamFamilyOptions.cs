using System;

namespace Microsoft.ML.Optimizers;

/// <summary>The settings Adam and AdamW share: betas, epsilon and AMSGrad.</summary>
public abstract class AdamFamilyOptions : OptimizerOptions
{
    private double _beta1 = 0.9;
    private double _beta2 = 0.999;
    private double _epsilon = 1e-8;

    private protected AdamFamilyOptions(double learningRate, double weightDecay) : base(learningRate, weightDecay)
    {
    }

    /// <summary>Decay of the first-moment (mean) estimate, 0 &lt;= beta1 &lt; 1; default 0.9.</summary>
    public double Beta1
    {
        get => _beta1;
        set => _beta1 = Check.Beta(value, nameof(Beta1));
    }

    /// <summary>Decay of the second-moment estimate, 0 &lt;= beta2 &lt; 1; default 0.999.</summary>
    public double Beta2
    {
        get => _beta2;
        set => _beta2 = Check.Beta(value, nameof(Beta2));
    }

    /// <summary>Term added to the denominator for numerical stability (must be &gt; 0); default 1e-8.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = Check.Positive(value, nameof(Epsilon));
    }

    /// <summary>Use the AMSGrad variant (keeps the running maximum of the second moment: a third state buffer).</summary>
    public bool AmsGrad { get; set; }

    internal override double DefaultMomentum => Beta1;

    internal override void ValidateGroup(LiveParameterGroup group)
    {
        // A group's Momentum is its beta1 here.
        Check.Beta(group.Momentum, nameof(Beta1));
    }
}
