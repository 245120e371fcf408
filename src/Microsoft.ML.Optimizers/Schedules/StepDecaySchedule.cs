namespace Microsoft.ML.Optimizers;

/// <summary>
/// Step decay (PyTorch's StepLR counted in optimizer steps): the learning rate is multiplied by <see cref="Gamma"/>
/// every <see cref="StepSize"/> steps.
/// </summary>
public sealed class StepDecaySchedule : ScheduleOptions
{
    private long _stepSize = 1000;
    private double _gamma = 0.1;

    /// <summary>Optimizer steps between decays (&gt; 0); default 1000.</summary>
    public long StepSize
    {
        get => _stepSize;
        set => _stepSize = Check.Positive(value, nameof(StepSize));
    }

    /// <summary>The factor applied at each decay (&gt;= 0); default 0.1.</summary>
    public double Gamma
    {
        get => _gamma;
        set => _gamma = Check.NonNegative(value, nameof(Gamma));
    }

    /// <inheritdoc/>
    public override string ScheduleName => "StepDecay";

    internal override IScheduleRule CreateRule(long totalSteps)
    {
        long stepSize = StepSize;
        double gamma = Gamma;
        return new MultiplierRule(step => ScheduleFunctions.StepDecay(step, stepSize, gamma));
    }
}
