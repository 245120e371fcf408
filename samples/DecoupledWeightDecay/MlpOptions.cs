using Microsoft.ML.Trainers.Torch;

/// <summary>Options of <see cref="MlpTrainer"/>: a float-vector feature column, hidden width and depth.</summary>
internal sealed class MlpOptions : TorchTrainerOptions
{
    public string FeatureColumnName { get; set; } = "Features";

    public int Hidden { get; set; } = 32;

    /// <summary>Number of hidden layers.</summary>
    public int HiddenLayers { get; set; } = 1;

    /// <summary>
    /// Batch norm after every hidden linear layer (which then has no bias). Each hidden weight row becomes
    /// scale-invariant, so weight decay sets its norm and with it the effective learning rate, as in a ResNet.
    /// </summary>
    public bool BatchNorm { get; set; }
}
