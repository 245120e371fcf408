namespace Microsoft.ML.Optimizers;

/// <summary>
/// Linear warmup, then cosine decay: the multiplier is <c>(s+1)/W</c> for the first W steps, then
/// <c>m + (1 - m) * 0.5 * (1 + cos(pi * (s - W) / (T - W)))</c> (progress (s - W) / (T - W) computed first) with m = <see cref="MinLearningRateRatio"/>.
/// See <see cref="ScheduleFunctions.WarmupCosine"/>.
/// </summary>
public sealed class WarmupCosineSchedule : ScheduleOptions
{
    private long? _warmupSteps;
    private double _warmupRatio;
    private double _minLearningRateRatio;

    /// <summary>Warmup length in steps; when null, <see cref="WarmupRatio"/> decides.</summary>
    public long? WarmupSteps
    {
        get => _warmupSteps;
        set => _warmupSteps = value is null ? null : Check.NonNegative(value.Value, nameof(WarmupSteps));
    }

    /// <summary>Warmup length as a fraction of the total steps (rounded up), used when <see cref="WarmupSteps"/> is null; default 0.</summary>
    public double WarmupRatio
    {
        get => _warmupRatio;
        set => _warmupRatio = Check.Fraction(value, nameof(WarmupRatio));
    }

    /// <summary>The final learning rate as a fraction of the base rate, between 0 and 1; default 0.</summary>
    public double MinLearningRateRatio
    {
        get => _minLearningRateRatio;
        set => _minLearningRateRatio = Check.Fraction(value, nameof(MinLearningRateRatio));
    }

    /// <inheritdoc/>
    public override string ScheduleName => "WarmupCosine";

    internal override IScheduleRule CreateRule(long totalSteps)
    {
        long warmup = ResolveWarmup(WarmupSteps, WarmupRatio, totalSteps);
        double min = MinLearningRateRatio;
        return new MultiplierRule(step => ScheduleFunctions.WarmupCosine(step, warmup, totalSteps, min));
    }
}
