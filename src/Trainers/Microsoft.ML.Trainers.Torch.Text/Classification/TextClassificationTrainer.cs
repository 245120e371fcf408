using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Trains a text classifier - a BERT-family encoder fine-tuned from a local Hugging Face checkpoint (or trained
/// from scratch), or a fastText-style n-gram model - with the optimizer chosen in the options (AdamW by default,
/// or SGD with momentum). Create it with <c>mlContext.MulticlassClassification.Trainers.TextClassification(...)</c>.
/// </summary>
public sealed class TextClassificationTrainer : TorchClassificationTrainer<TextClassificationTrainerOptions>
{
    internal TextClassificationTrainer(IHostEnvironment env, TextClassificationTrainerOptions options)
        : base(env, options, nameof(TextClassificationTrainer))
    {
    }

    private TextColumns Columns => new(Options.TextColumnName, Options.SecondTextColumnName);

    /// <inheritdoc />
    protected override void CheckInputShape(SchemaShape inputSchema) => Columns.Check(inputSchema);

    /// <inheritdoc />
    protected override TorchClassificationFit CreateFit(IDataView trainingData, IChannel channel)
    {
        Columns.Check(trainingData.Schema);
        return Options.Model.CreateFit(Options, channel);
    }
}
