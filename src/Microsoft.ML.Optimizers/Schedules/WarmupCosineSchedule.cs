namespace Microsoft.ML.Optimizers;

/// <summary>
/// Linear warmup, then cosine decay: the multiplier is <c>(s+1)/W</c> for the first W steps, then
/// <c>m + (1 - m) * 0.5 * (1 + cos(pi * (s - W) / (T - W)))</c> (progress (s - W) / (T - W) computed first) with m = <see cref="WarmupDecaySchedule.MinLearningRateRatio"/>.
/// See <see cref="ScheduleFunctions.WarmupCosine"/>.
/// </summary>
public sealed class WarmupCosineSchedule : WarmupDecaySchedule
{
    /// <inheritdoc/>
    public override string ScheduleName => "WarmupCosine";

    private protected override double Multiplier(long step, long warmupSteps, long totalSteps, double minRatio)
        => ScheduleFunctions.WarmupCosine(step, warmupSteps, totalSteps, minRatio);
}
