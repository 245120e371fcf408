namespace Microsoft.ML.Trainers.Torch;

/// <summary>What one training epoch achieved, reported through the log, the progress channel and the callback.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">
/// Mean cross-entropy over the epoch's training batches as trained on: augmented (see <see cref="TrainBatchesAugmented"/>),
/// in train mode, while the weights change.
/// </param>
/// <param name="TrainAccuracy">Fraction of those training examples predicted correctly during the epoch, on the same batches.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation set, when there is one.</param>
/// <param name="ValidationAccuracy">Accuracy (ML.NET's micro-accuracy) on the validation set, when there is one.</param>
/// <param name="LearningRate">The learning rate of the epoch's last step.</param>
/// <param name="Seconds">Wall-clock seconds of the epoch, validation included.</param>
/// <param name="ExamplesPerSecond">Training examples per second.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, double Seconds, double ExamplesPerSecond)
{
    /// <summary>
    /// Steps of the epoch dropped because their loss or gradients were not finite (only with
    /// <see cref="TorchTrainerOptions.SkipNonFiniteSteps"/>; otherwise such a step stops training).
    /// </summary>
    public int SkippedSteps { get; init; }

    /// <summary>Macro-accuracy (mean per-class recall, as ML.NET's evaluator) on the validation set, when there is one.</summary>
    public double? ValidationMacroAccuracy { get; init; }

    /// <summary>Whether the training batches behind <see cref="TrainLoss"/> and <see cref="TrainAccuracy"/> were augmented.</summary>
    public bool TrainBatchesAugmented { get; init; }

    /// <summary>
    /// Mean cross-entropy on the un-augmented training data in eval mode after the epoch, as validation measures it (only
    /// with <see cref="TorchTrainerOptions.CleanTrainAccuracy"/>).
    /// </summary>
    public double? CleanTrainLoss { get; init; }

    /// <summary>Accuracy on the un-augmented training data in eval mode after the epoch (only with <see cref="TorchTrainerOptions.CleanTrainAccuracy"/>).</summary>
    public double? CleanTrainAccuracy { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        string validation = ValidationAccuracy is double acc ? $" val_loss={ValidationLoss:F4} val_accuracy={acc:F4} val_macro_accuracy={ValidationMacroAccuracy:F4}" : "";
        string measuredOn = TrainBatchesAugmented ? " (augmented batches)" : "";
        string clean = CleanTrainAccuracy is double c ? $" clean_train_loss={CleanTrainLoss:F4} clean_train_accuracy={c:F4}" : "";
        return $"epoch {Epoch}: loss={TrainLoss:F4} accuracy={TrainAccuracy:F4}{measuredOn}{clean}{validation} lr={LearningRate:G4} seconds={Seconds:F1} examples/s={ExamplesPerSecond:F0}" +
            (SkippedSteps > 0 ? $" skipped_steps={SkippedSteps}" : "");
    }
}
