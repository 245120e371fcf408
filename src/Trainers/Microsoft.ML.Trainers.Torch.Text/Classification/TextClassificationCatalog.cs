using System;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;

namespace Microsoft.ML;

/// <summary>Adds the TorchSharp text classifier to <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class TextClassificationCatalog
{
    /// <summary>
    /// A text classifier (BERT fine-tuning or a fastText-style model) trained with TorchSharp and the optimizer
    /// chosen in <paramref name="options"/>.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The model, columns, optimizer, schedule and training loop settings.</param>
    public static TextClassificationTrainer TextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        TextClassificationTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TextClassificationTrainer(MLNetBridge.EnvironmentOf(catalog), options);
    }

    /// <summary>Fine-tunes the BERT-family checkpoint in <paramref name="checkpointFolder"/> with the default fine-tuning options.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="checkpointFolder">A local Hugging Face checkpoint folder (config.json, model.safetensors, vocab.txt).</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    /// <param name="textColumnName">The text column.</param>
    /// <param name="secondTextColumnName">The second text of sentence pairs, or null.</param>
    /// <param name="epochs">Passes over the data.</param>
    public static TextClassificationTrainer TextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string checkpointFolder, string labelColumnName = "Label", string textColumnName = "Text", string? secondTextColumnName = null, int epochs = 3)
        => catalog.TextClassification(new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = checkpointFolder })
        {
            LabelColumnName = labelColumnName,
            TextColumnName = textColumnName,
            SecondTextColumnName = secondTextColumnName,
            Epochs = epochs,
        });
}
