namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>Trained and evaluated.</summary>
    Completed,

    /// <summary>Training threw (for example a schedule that does not fit the run); the message is in <see cref="TrialResult.Error"/>.</summary>
    Failed,

    /// <summary>Not started because the experiment's wall-time budget had run out.</summary>
    Skipped,

    /// <summary>Stopped by <c>mlContext.CancelExecution()</c>.</summary>
    Canceled,
}
