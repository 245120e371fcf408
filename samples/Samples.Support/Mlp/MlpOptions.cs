using Microsoft.ML.Trainers.Torch;

namespace Samples.Support;

/// <summary>Options of <see cref="MlpTrainer"/>: a float-vector feature column, hidden width and depth.</summary>
public sealed class MlpOptions : TorchTrainerOptions
{
    /// <summary>The float-vector feature column.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Width of each hidden layer.</summary>
    public int Hidden { get; set; } = 32;

    /// <summary>Number of hidden layers.</summary>
    public int HiddenLayers { get; set; } = 1;

    /// <summary>
    /// Batch norm after every hidden linear layer (which then has no bias). Each hidden weight row becomes
    /// scale-invariant, so weight decay sets its norm and with it the effective learning rate, as in a ResNet.
    /// </summary>
    public bool BatchNorm { get; set; }
}
