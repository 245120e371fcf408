using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// How much an <see cref="OptimizerExperiment{TOptions}"/> may spend, and how successive halving spends it:
/// <see cref="MaxTrials"/> configurations train for <see cref="MinEpochsPerTrial"/> epochs, the best
/// 1/<see cref="ReductionFactor"/> train again for <see cref="ReductionFactor"/> times as many epochs, and so on
/// until one configuration remains or <see cref="MaxEpochsPerTrial"/> is reached (see <see cref="Rungs"/>).
/// </summary>
public sealed class ExperimentBudget
{
    /// <summary>Configurations sampled and trained in the first rung. Default 9.</summary>
    public int MaxTrials { get; set; } = 9;

    /// <summary>Epochs of a trial in the first rung (the smallest budget). Default 1.</summary>
    public int MinEpochsPerTrial { get; set; } = 1;

    /// <summary>The most epochs any trial trains (later rungs are capped here). Default 9.</summary>
    public int MaxEpochsPerTrial { get; set; } = 9;

    /// <summary>Successive halving's eta: each rung keeps the best 1/eta and trains them eta times longer. Default 3.</summary>
    public int ReductionFactor { get; set; } = 3;

    /// <summary>
    /// Wall-clock limit of the experiment; null for none. Checked before each trial starts: trials not started when
    /// it has passed are marked <see cref="TrialStatus.Skipped"/> (a running trial finishes). The first trial always runs.
    /// </summary>
    public TimeSpan? MaxWallTime { get; set; }

    /// <summary>Throws an exception naming the first invalid option.</summary>
    public void Validate()
    {
        const string prefix = nameof(OptimizerExperimentOptions.Budget) + ".";
        if (MaxTrials < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTrials), $"{prefix}{nameof(MaxTrials)} must be at least 1 (was {MaxTrials}).");
        }
        if (MinEpochsPerTrial < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinEpochsPerTrial), $"{prefix}{nameof(MinEpochsPerTrial)} must be at least 1 (was {MinEpochsPerTrial}).");
        }
        if (MaxEpochsPerTrial < MinEpochsPerTrial)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEpochsPerTrial),
                $"{prefix}{nameof(MaxEpochsPerTrial)} must be at least {prefix}{nameof(MinEpochsPerTrial)} ({MinEpochsPerTrial}) (was {MaxEpochsPerTrial}).");
        }
        if (ReductionFactor < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(ReductionFactor), $"{prefix}{nameof(ReductionFactor)} must be at least 2 (was {ReductionFactor}).");
        }
        if (MaxWallTime is TimeSpan wall && wall <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWallTime), $"{prefix}{nameof(MaxWallTime)} must be positive or null (was {wall}).");
        }
    }

    /// <summary>
    /// The successive-halving plan: for each rung, how many configurations train and for how many epochs. Rung 0
    /// trains <see cref="MaxTrials"/> configurations for <see cref="MinEpochsPerTrial"/> epochs; each next rung keeps
    /// <c>max(1, floor(n / eta))</c> of them and multiplies the epochs by eta (capped at <see cref="MaxEpochsPerTrial"/>).
    /// The plan ends with the rung that trains a single configuration or reaches the epoch cap.
    /// </summary>
    public IReadOnlyList<(int Configurations, int Epochs)> Rungs()
    {
        Validate();
        var rungs = new List<(int, int)>();
        int n = MaxTrials;
        long epochs = MinEpochsPerTrial;
        while (true)
        {
            rungs.Add((n, (int)epochs));
            if (n == 1 || epochs >= MaxEpochsPerTrial)
            {
                return rungs;
            }
            n = Math.Max(1, n / ReductionFactor);
            epochs = Math.Min(epochs * ReductionFactor, MaxEpochsPerTrial);
        }
    }
}
