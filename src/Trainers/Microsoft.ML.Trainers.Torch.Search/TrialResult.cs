using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>One trial of an experiment: one configuration trained from scratch for one rung's epochs. A leaderboard row.</summary>
public sealed class TrialResult
{
    internal TrialResult(int trialId, int configurationId, int rung, int epochs, TrialConfiguration configuration, MulticlassMetric metric)
    {
        TrialId = trialId;
        ConfigurationId = configurationId;
        Rung = rung;
        Epochs = epochs;
        Configuration = configuration;
        Metric = metric;
    }

    /// <summary>1-based, in the order the experiment ran (or skipped) the trials.</summary>
    public int TrialId { get; }

    /// <summary>1-based id of the sampled configuration; a configuration promoted to later rungs keeps its id.</summary>
    public int ConfigurationId { get; }

    /// <summary>0-based successive-halving rung.</summary>
    public int Rung { get; }

    /// <summary>Epochs the trial was given (fewer were run if the template's early stopping ended it).</summary>
    public int Epochs { get; }

    /// <summary>The optimizer and hyperparameters.</summary>
    public TrialConfiguration Configuration { get; }

    /// <summary>The metric the experiment optimizes.</summary>
    public MulticlassMetric Metric { get; }

    /// <summary>The validation metric after each epoch (ML.NET's evaluator on the validation data).</summary>
    public IReadOnlyList<double> MetricPerEpoch { get; internal set; } = Array.Empty<double>();

    /// <summary>The engine's per-epoch training and validation loss, accuracy and learning rate.</summary>
    public IReadOnlyList<EpochMetrics> History { get; internal set; } = Array.Empty<EpochMetrics>();

    /// <summary>
    /// The validation metric of the model the trial returned (the best epoch's weights when the template restores
    /// the best epoch, else the last epoch's); NaN when the trial did not complete.
    /// </summary>
    public double FinalMetric { get; internal set; } = double.NaN;

    /// <summary>Wall-clock seconds of the trial (training and every evaluation).</summary>
    public double Seconds { get; internal set; }

    /// <summary>How the trial ended.</summary>
    public TrialStatus Status { get; internal set; } = TrialStatus.Skipped;

    /// <summary>Whether this configuration was promoted to the next rung.</summary>
    public bool Promoted { get; internal set; }

    /// <summary>Why the trial failed, when it did.</summary>
    public string? Error { get; internal set; }

    /// <inheritdoc />
    public override string ToString()
        => $"trial {TrialId} (config {ConfigurationId}, rung {Rung}, {Epochs} epochs) {Status} {Metric}={FinalMetric:F4} in {Seconds:F1}s: {Configuration}";
}
