namespace Microsoft.ML.Trainers.Torch;

/// <summary>The validation metric that picks the best epoch (early stopping and best-epoch restore).</summary>
public enum BestEpochMetric
{
    /// <summary>Highest validation accuracy (ML.NET's micro-accuracy); ties go to the lower validation loss.</summary>
    Accuracy,

    /// <summary>Lowest validation log-loss (mean cross-entropy).</summary>
    LogLoss,

    /// <summary>Highest validation macro-accuracy (mean of per-class recall); ties go to the lower validation loss.</summary>
    MacroAccuracy,
}
