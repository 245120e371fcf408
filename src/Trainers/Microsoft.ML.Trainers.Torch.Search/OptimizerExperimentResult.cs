using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// What an <see cref="OptimizerExperiment{TOptions}"/> found: the leaderboard of every trial and the best fitted
/// model. Dispose it (or <see cref="BestModel"/>) to free the model's native memory.
/// </summary>
public sealed class OptimizerExperimentResult : IDisposable
{
    internal OptimizerExperimentResult(MulticlassMetric metric, IReadOnlyList<TrialResult> trials, TrialResult bestTrial,
        TorchClassificationTransformer bestModel, double seconds, bool wallTimeExceeded)
    {
        Metric = metric;
        Trials = trials;
        Leaderboard = OptimizerExperimentRanking.Rank(metric, trials);
        BestTrial = bestTrial;
        BestModel = bestModel;
        Seconds = seconds;
        WallTimeExceeded = wallTimeExceeded;
    }

    /// <summary>The optimized metric.</summary>
    public MulticlassMetric Metric { get; }

    /// <summary>Every trial in the order it ran.</summary>
    public IReadOnlyList<TrialResult> Trials { get; }

    /// <summary>
    /// The trials ranked: higher rungs (longer training) first, then completed before failed and skipped, then by the
    /// metric (best first), then by trial id.
    /// </summary>
    public IReadOnlyList<TrialResult> Leaderboard { get; }

    /// <summary>The winner: the best completed trial of the highest rung that completed any trial.</summary>
    public TrialResult BestTrial { get; }

    /// <summary>The winner's fitted model, trained on the training data for its rung's epochs.</summary>
    public TorchClassificationTransformer BestModel { get; }

    /// <summary>Wall-clock seconds of the whole experiment.</summary>
    public double Seconds { get; }

    /// <summary>Whether the wall-time budget ran out (some trials are then <see cref="TrialStatus.Skipped"/>).</summary>
    public bool WallTimeExceeded { get; }

    /// <summary>The configurations the experiment sampled, by configuration id.</summary>
    public IReadOnlyList<TrialConfiguration> Configurations =>
        Trials.Where(t => t.Rung == 0).OrderBy(t => t.ConfigurationId).Select(t => t.Configuration).ToArray();

    /// <summary>Disposes the best model.</summary>
    public void Dispose() => BestModel.Dispose();
}
