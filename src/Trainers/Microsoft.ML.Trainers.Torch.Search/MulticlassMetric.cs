namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// The validation metric an <see cref="OptimizerExperiment{TOptions}"/> optimizes: one of ML.NET's
/// <see cref="Microsoft.ML.Data.MulticlassClassificationMetrics"/>, computed by <c>mlContext.MulticlassClassification.Evaluate</c>.
/// </summary>
public enum MulticlassMetric
{
    /// <summary>Fraction of rows predicted correctly (higher is better). The default.</summary>
    MicroAccuracy,

    /// <summary>Mean of the per-class accuracies (higher is better).</summary>
    MacroAccuracy,

    /// <summary>Mean negative log-likelihood of the true class (lower is better).</summary>
    LogLoss,

    /// <summary>Relative improvement of the log-loss over predicting the class prior (higher is better).</summary>
    LogLossReduction,

    /// <summary>Fraction of rows whose true class is among the top K scores (higher is better; K is <see cref="OptimizerExperimentOptions.TopK"/>).</summary>
    TopKAccuracy,
}
