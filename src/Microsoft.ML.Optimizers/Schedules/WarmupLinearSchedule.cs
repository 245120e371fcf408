namespace Microsoft.ML.Optimizers;

/// <summary>
/// Linear warmup, then linear decay: the multiplier is <c>(s+1)/W</c> for the first W steps, then
/// <c>m + (1 - m) * (T - s) / (T - W)</c> with m = <see cref="WarmupDecaySchedule.MinLearningRateRatio"/>.
/// See <see cref="ScheduleFunctions.WarmupLinear"/>.
/// </summary>
public sealed class WarmupLinearSchedule : WarmupDecaySchedule
{
    /// <inheritdoc/>
    public override string ScheduleName => "WarmupLinear";

    private protected override double Multiplier(long step, long warmupSteps, long totalSteps, double minRatio)
        => ScheduleFunctions.WarmupLinear(step, warmupSteps, totalSteps, minRatio);
}
