namespace Microsoft.ML.Trainers.Torch;

/// <summary>What <see cref="TorchTrainerOptions.CheckpointEvery"/> counts.</summary>
public enum CheckpointUnit
{
    /// <summary>Save after every N-th epoch's last step (before its validation, which a resumed run repeats).</summary>
    Epochs,

    /// <summary>Save after every N-th optimizer step (counted over the whole run), so a run can resume mid-epoch.</summary>
    Steps,
}
