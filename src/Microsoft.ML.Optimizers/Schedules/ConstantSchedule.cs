namespace Microsoft.ML.Optimizers;

/// <summary>A constant learning rate, optionally after a linear warmup of <see cref="WarmupSteps"/> steps.</summary>
public sealed class ConstantSchedule : ScheduleOptions
{
    private long _warmupSteps;

    /// <summary>Steps of linear warmup (multiplier <c>(s+1)/W</c>) before the rate stays at its base value; default 0.</summary>
    public long WarmupSteps
    {
        get => _warmupSteps;
        set => _warmupSteps = Check.NonNegative(value, nameof(WarmupSteps));
    }

    /// <inheritdoc/>
    public override string ScheduleName => "Constant";

    internal override IScheduleRule CreateRule(long totalSteps)
    {
        long warmup = ResolveWarmup(WarmupSteps, 0, totalSteps);
        return new MultiplierRule(step => ScheduleFunctions.LinearWarmup(step, warmup));
    }
}
