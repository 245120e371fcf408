using System;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// The one-cycle policy with PyTorch's <c>OneCycleLR</c> semantics (Smith &amp; Topin 2018), including momentum
/// cycling: SGD's momentum, or beta1 for Adam, AdamW and Lion, moves inversely to the learning rate between
/// <see cref="MaxMomentum"/> and <see cref="BaseMomentum"/>. See <see cref="ScheduleFunctions.OneCycle"/>.
/// </summary>
/// <remarks>
/// With several parameter groups, group <c>i</c> peaks at <c>MaxLearningRate * InitialLearningRate[i] /
/// InitialLearningRate[0]</c> (PyTorch's per-group <c>max_lr</c> list with the groups' ratios); leave
/// <see cref="MaxLearningRate"/> null to peak at each group's own initial learning rate.
/// </remarks>
public sealed class OneCycleSchedule : ScheduleOptions
{
    private double? _maxLearningRate;
    private double _pctStart = 0.3;
    private double _divFactor = 25.0;
    private double _finalDivFactor = 1e4;
    private double _baseMomentum = 0.85;
    private double _maxMomentum = 0.95;

    /// <summary>The peak learning rate of group 0, or null to use the optimizer's learning rate; default null.</summary>
    public double? MaxLearningRate
    {
        get => _maxLearningRate;
        set => _maxLearningRate = value is null ? null : Check.NonNegative(value.Value, nameof(MaxLearningRate));
    }

    /// <summary>Fraction of the cycle spent increasing the learning rate, between 0 and 1; default 0.3.</summary>
    public double PctStart
    {
        get => _pctStart;
        set => _pctStart = Check.Fraction(value, nameof(PctStart));
    }

    /// <summary>Cosine (default) or linear interpolation.</summary>
    public AnnealStrategy AnnealStrategy { get; set; } = AnnealStrategy.Cosine;

    /// <summary>The initial learning rate is <c>max / DivFactor</c> (&gt; 0); default 25.</summary>
    public double DivFactor
    {
        get => _divFactor;
        set => _divFactor = Check.Positive(value, nameof(DivFactor));
    }

    /// <summary>The final learning rate is <c>initial / FinalDivFactor</c> (&gt; 0); default 1e4.</summary>
    public double FinalDivFactor
    {
        get => _finalDivFactor;
        set => _finalDivFactor = Check.Positive(value, nameof(FinalDivFactor));
    }

    /// <summary>Cycle momentum (or beta1) inversely to the learning rate; default true.</summary>
    public bool CycleMomentum { get; set; } = true;

    /// <summary>Momentum at the peak learning rate, 0 &lt;= value &lt; 1; default 0.85.</summary>
    public double BaseMomentum
    {
        get => _baseMomentum;
        set => _baseMomentum = Check.Beta(value, nameof(BaseMomentum));
    }

    /// <summary>Momentum at the start and end of the cycle, 0 &lt;= value &lt; 1; default 0.95.</summary>
    public double MaxMomentum
    {
        get => _maxMomentum;
        set => _maxMomentum = Check.Beta(value, nameof(MaxMomentum));
    }

    /// <summary>Use the three-phase variant (back down to the initial rate before the final annihilation); default false.</summary>
    public bool ThreePhase { get; set; }

    /// <inheritdoc/>
    public override string ScheduleName => "OneCycle";

    internal override IScheduleRule CreateRule(long totalSteps)
    {
        if (ThreePhase && PctStart > 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(PctStart), PctStart, $"PctStart must be <= 0.5 with ThreePhase (was {PctStart}).");
        }
        return new OneCycleRule((OneCycleSchedule)Clone(), totalSteps);
    }

    private sealed class OneCycleRule : IScheduleRule
    {
        private readonly OneCycleSchedule _o;
        private readonly long _totalSteps;

        public OneCycleRule(OneCycleSchedule options, long totalSteps)
        {
            _o = options;
            _totalSteps = totalSteps;
        }

        public void Apply(Optimizer optimizer, double[] baseLearningRates, long position)
        {
            for (int i = 0; i < baseLearningRates.Length; i++)
            {
                double max = _o.MaxLearningRate is not double peak ? baseLearningRates[i]
                    : i == 0 || baseLearningRates[0] == 0 ? peak
                    : peak * (baseLearningRates[i] / baseLearningRates[0]);
                (double lr, double momentum) = ScheduleFunctions.OneCycle(position, _totalSteps, max, _o.PctStart, _o.AnnealStrategy,
                    _o.DivFactor, _o.FinalDivFactor, _o.BaseMomentum, _o.MaxMomentum, _o.ThreePhase);
                LiveParameterGroup group = optimizer.ParameterGroups[i];
                group.LearningRate = lr;
                if (_o.CycleMomentum)
                {
                    group.Momentum = momentum;
                }
            }
        }
    }
}
