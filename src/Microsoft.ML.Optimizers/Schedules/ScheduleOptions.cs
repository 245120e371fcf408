using System;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// A learning-rate schedule as a trainer's options hold it: settings only, turned into a
/// <see cref="LearningRateScheduler"/> once the optimizer exists and the total number of optimizer steps is known.
/// </summary>
public abstract class ScheduleOptions
{
    private protected ScheduleOptions()
    {
    }

    /// <summary>A short name of the schedule, e.g. "WarmupCosine"; checkpoints record it.</summary>
    public abstract string ScheduleName { get; }

    /// <summary>
    /// Creates the scheduler and sets the optimizer's learning rate (and momentum, for one-cycle) for step 0.
    /// </summary>
    /// <param name="optimizer">The optimizer whose groups the schedule drives.</param>
    /// <param name="totalSteps">The number of optimizer steps of the whole training run (&gt; 0).</param>
    public LearningRateScheduler Create(Optimizer optimizer, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Check.Positive(totalSteps, nameof(totalSteps));
        return new LearningRateScheduler(optimizer, totalSteps, ScheduleName, CreateRule(totalSteps));
    }

    /// <summary>
    /// Checks the settings without creating a scheduler: against a run of <paramref name="totalSteps"/> optimizer steps
    /// (e.g. a warmup longer than the run), or, when null, only what does not depend on the run's length. Throws an
    /// exception naming the option.
    /// </summary>
    public void Validate(long? totalSteps = null)
    {
        if (totalSteps is long steps)
        {
            Check.Positive(steps, nameof(totalSteps));
        }
        // Any run length long enough for every explicit warmup stands for "unknown".
        CreateRule(totalSteps ?? (1L << 50));
    }

    /// <summary>A copy of these options.</summary>
    public ScheduleOptions Clone() => (ScheduleOptions)MemberwiseClone();

    /// <summary>Validates the settings against the run length and returns the rule that sets each step's values.</summary>
    internal abstract IScheduleRule CreateRule(long totalSteps);

    /// <summary>Warmup length from an explicit step count or a ratio of the run (rounded up, as Hugging Face does).</summary>
    private protected static long ResolveWarmup(long? warmupSteps, double warmupRatio, long totalSteps)
    {
        long warmup = warmupSteps ?? (long)Math.Ceiling(warmupRatio * totalSteps);
        if (warmup > totalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmup,
                $"WarmupSteps must be <= the total number of steps {totalSteps} (was {warmup}).");
        }
        return warmup;
    }
}

/// <summary>Sets the groups' hyperparameters for one scheduler position.</summary>
internal interface IScheduleRule
{
    /// <summary>Applies the schedule at <paramref name="position"/> given each group's base learning rate.</summary>
    void Apply(Optimizer optimizer, double[] baseLearningRates, long position);
}

/// <summary>A schedule that multiplies each group's base learning rate by a function of the step (PyTorch's LambdaLR).</summary>
internal sealed class MultiplierRule : IScheduleRule
{
    private readonly Func<long, double> _multiplier;

    public MultiplierRule(Func<long, double> multiplier) => _multiplier = multiplier;

    public void Apply(Optimizer optimizer, double[] baseLearningRates, long position)
    {
        double factor = _multiplier(position);
        for (int i = 0; i < baseLearningRates.Length; i++)
        {
            optimizer.ParameterGroups[i].LearningRate = baseLearningRates[i] * factor;
        }
    }
}
