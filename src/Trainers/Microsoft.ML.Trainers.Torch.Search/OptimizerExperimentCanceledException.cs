using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// Thrown by <see cref="OptimizerExperiment{TOptions}.Run"/> when <c>mlContext.CancelExecution()</c> stops it, as
/// ML.NET's trainers throw <see cref="OperationCanceledException"/>; it carries the trials run so far. No model is
/// returned (every fitted model has been disposed).
/// </summary>
public sealed class OptimizerExperimentCanceledException : OperationCanceledException
{
    internal OptimizerExperimentCanceledException(MulticlassMetric metric, IReadOnlyList<TrialResult> trials, Exception? inner)
        : base($"The optimizer experiment was canceled through MLContext.CancelExecution after {trials.Count} trial(s).", inner)
    {
        Trials = trials;
        Leaderboard = OptimizerExperimentRanking.Rank(metric, trials);
    }

    /// <summary>The trials started before the cancellation; the running one is <see cref="TrialStatus.Canceled"/>.</summary>
    public IReadOnlyList<TrialResult> Trials { get; }

    /// <summary>Those trials ranked as in <see cref="OptimizerExperimentResult.Leaderboard"/>.</summary>
    public IReadOnlyList<TrialResult> Leaderboard { get; }
}
