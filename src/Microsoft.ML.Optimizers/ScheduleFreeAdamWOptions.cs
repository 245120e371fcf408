using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled"), as <c>schedulefree.AdamWScheduleFree</c>: no
/// learning-rate schedule beyond an optional linear warmup; the optimizer averages its iterates instead. Training
/// happens at one point (y) and evaluation at another (x), so call <see cref="Optimizer.UseEvaluationPoint"/> before
/// validating, scoring or saving and <see cref="Optimizer.UseTrainingPoint"/> before the next step. Two state buffers
/// per parameter (z and the second moment; three with <see cref="InnerMomentum"/>). Defaults (reference): lr 0.0025,
/// betas (0.9, 0.999), eps 1e-8, weight decay 0, no warmup, r 0, weight_lr_power 2.
/// </summary>
public sealed class ScheduleFreeAdamWOptions : OptimizerOptions
{
    private double _beta1 = 0.9;
    private double _beta2 = 0.999;
    private double _epsilon = 1e-8;
    private long _warmupSteps;
    private double _r;
    private double _weightLrPower = 2.0;
    private double _innerMomentum;

    /// <summary>Creates options with the reference's defaults.</summary>
    public ScheduleFreeAdamWOptions() : base(learningRate: 0.0025, weightDecay: 0.0)
    {
    }

    /// <summary>The interpolation between the averaged and the base sequence, 0 &lt; beta1 &lt; 1; default 0.9.</summary>
    public double Beta1
    {
        get => _beta1;
        set => _beta1 = CheckBeta1(value);
    }

    /// <summary>Decay of the second moment, 0 &lt;= beta2 &lt; 1; default 0.999.</summary>
    public double Beta2
    {
        get => _beta2;
        set => _beta2 = Check.Beta(value, nameof(Beta2));
    }

    /// <summary>Term added to the denominator (&gt; 0); default 1e-8.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = Check.Positive(value, nameof(Epsilon));
    }

    /// <summary>Linear warmup of the learning rate over this many steps (&gt;= 0); default 0.</summary>
    public long WarmupSteps
    {
        get => _warmupSteps;
        set => _warmupSteps = Check.NonNegative(value, nameof(WarmupSteps));
    }

    /// <summary>The polynomial weighting of the average, <c>(k+1)^r</c> (&gt;= 0); default 0.</summary>
    public double R
    {
        get => _r;
        set => _r = Check.NonNegative(value, nameof(R));
    }

    /// <summary>The exponent of the largest learning rate so far in the average's weights (&gt;= 0); default 2.</summary>
    public double WeightLrPower
    {
        get => _weightLrPower;
        set => _weightLrPower = Check.NonNegative(value, nameof(WeightLrPower));
    }

    /// <summary>An inner momentum on the gradient, 0 &lt;= value &lt; 1 (0, the default, keeps no buffer).</summary>
    public double InnerMomentum
    {
        get => _innerMomentum;
        set => _innerMomentum = Check.Beta(value, nameof(InnerMomentum));
    }

    /// <inheritdoc/>
    public override string AlgorithmName => "ScheduleFreeAdamW";

    internal override double DefaultMomentum => Beta1;

    internal override void ValidateGroup(LiveParameterGroup group) => CheckBeta1(group.Momentum);

    // The evaluation point extrapolates by 1 - 1/beta1, so beta1 = 0 has none.
    private static double CheckBeta1(double value)
    {
        Check.Beta(value, nameof(Beta1));
        if (value == 0)
        {
            throw new System.ArgumentOutOfRangeException(nameof(Beta1), value, $"{nameof(Beta1)} must be > 0 and < 1 (was 0).");
        }
        return value;
    }

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new ScheduleFreeAdamWOptimizer(this, groups);
}
