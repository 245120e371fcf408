namespace Microsoft.ML.Optimizers;

/// <summary>
/// A linear warmup followed by a decay to <see cref="MinLearningRateRatio"/> of the base rate: the options
/// the warmup-then-decay schedules share. Subclasses supply only the decay function.
/// </summary>
public abstract class WarmupDecaySchedule : ScheduleOptions
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

    /// <summary>The learning-rate multiplier at <paramref name="step"/>.</summary>
    private protected abstract double Multiplier(long step, long warmupSteps, long totalSteps, double minRatio);

    internal override IScheduleRule CreateRule(long totalSteps)
    {
        long warmup = ResolveWarmup(WarmupSteps, WarmupRatio, totalSteps);
        double min = MinLearningRateRatio;
        return new MultiplierRule(step => Multiplier(step, warmup, totalSteps, min));
    }
}
