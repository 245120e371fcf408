using System;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>Settings of an <see cref="OptimizerExperiment{TOptions}"/>: the search space, the budget, the metric and the seed.</summary>
public sealed class OptimizerExperimentOptions
{
    /// <summary>What to search over.</summary>
    public OptimizerSearchSpace SearchSpace { get; set; } = new();

    /// <summary>How many trials and epochs, and how long.</summary>
    public ExperimentBudget Budget { get; set; } = new();

    /// <summary>The validation metric to optimize. Default <see cref="MulticlassMetric.MicroAccuracy"/>.</summary>
    public MulticlassMetric Metric { get; set; } = MulticlassMetric.MicroAccuracy;

    /// <summary>K of <see cref="MulticlassMetric.TopKAccuracy"/> (passed to ML.NET's evaluator as <c>topKPredictionCount</c>). Default 3.</summary>
    public int TopK { get; set; } = 3;

    /// <summary>
    /// Seed of the configuration sampler: the same seed samples the same configurations. Trials themselves use the
    /// template's <see cref="TorchTrainerOptions.Seed"/>, so every configuration starts from the same initial weights
    /// and sees the same batches (set the template's <see cref="TorchTrainerOptions.Threads"/> to 1 for bit-identical metrics).
    /// </summary>
    public int Seed { get; set; } = 1;

    /// <summary>Called after every trial (completed, failed or skipped), e.g. to print progress.</summary>
    public Action<TrialResult>? TrialCompleted { get; set; }

    /// <summary>Throws an exception naming the first invalid option.</summary>
    public void Validate()
    {
        if (SearchSpace == null)
        {
            throw new ArgumentNullException(nameof(SearchSpace), $"{nameof(SearchSpace)} must be set.");
        }
        if (Budget == null)
        {
            throw new ArgumentNullException(nameof(Budget), $"{nameof(Budget)} must be set.");
        }
        SearchSpace.Validate();
        Budget.Validate();
        if (!Enum.IsDefined(Metric))
        {
            throw new ArgumentOutOfRangeException(nameof(Metric), $"{nameof(Metric)} {Metric} is not a known multiclass metric.");
        }
        if (TopK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), $"{nameof(TopK)} must be at least 1 (was {TopK}).");
        }
    }
}
