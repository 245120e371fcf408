using Microsoft.ML.Trainers.Torch;

/// <summary>Options of <see cref="MlpTrainer"/>: a float-vector feature column and a hidden width.</summary>
internal sealed class MlpOptions : TorchTrainerOptions
{
    public string FeatureColumnName { get; set; } = "Features";

    public int Hidden { get; set; } = 32;
}
