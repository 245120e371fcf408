using System;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Options of <see cref="TextClassificationTrainer"/>: the model (<see cref="Model"/>: <see cref="BertFineTuning"/>,
/// <see cref="BertFromScratch"/> or <see cref="FastText"/>), the text column(s), and the shared training-loop settings.
/// </summary>
/// <remarks>
/// The model is given at construction because the training defaults depend on it; the constructor sets them, and any
/// you assign afterwards (in the object initializer or later) replace them:
/// <list type="bullet">
/// <item>BERT, fine-tuned or from scratch (as in the BERT paper and Hugging Face's Trainer): AdamW with learning rate
/// 2e-5 and weight decay 0.01 (none on biases and LayerNorm), 10% linear warmup then linear decay, gradient clipping at
/// 1.0, 3 epochs, batch 32, sequences of at most 128 tokens.</item>
/// <item>fastText (from scratch): the embedding table is trained by sparse SGD at
/// <see cref="FastText.EmbeddingLearningRate"/> per example as fastText does, the dense head by AdamW with learning rate
/// 0.02 and no weight decay; linear decay to 0, gradient clipping at 1.0 (dense parameters), 5 epochs, batch 64.</item>
/// </list>
/// Progress is logged every 50 steps for every model.
/// </remarks>
/// <example>
/// <code>
/// var options = new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = "models/bert-base-uncased" })
/// {
///     TextColumnName = "Text",
///     ValidationFraction = 0.1,
/// };
/// </code>
/// </example>
public sealed class TextClassificationTrainerOptions : TorchTrainerOptions
{
    /// <summary>Options for <paramref name="model"/>, with its training defaults.</summary>
    /// <param name="model">The network and where its weights come from.</param>
    public TextClassificationTrainerOptions(TextModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model),
            "Choose a model: new BertFineTuning { Checkpoint = ... }, new BertFromScratch { Config = ..., Vocabulary = ... } or new FastText().");
        GradientClipNorm = 1.0;
        LogEveryNSteps = 50;
        model.ApplyTrainingDefaults(this);
    }

    /// <summary>The network and where its weights come from; chosen at construction, since the defaults above depend on it.</summary>
    public TextModel Model { get; }

    /// <summary>The text column (String). Missing or empty text is allowed.</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>The second text of a sentence pair (String), or null for single texts.</summary>
    public string? SecondTextColumnName { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        RequireName(TextColumnName, nameof(TextColumnName));
        if (SecondTextColumnName is not null)
        {
            RequireName(SecondTextColumnName, nameof(SecondTextColumnName));
            if (SecondTextColumnName == TextColumnName)
            {
                throw new ArgumentException($"SecondTextColumnName must differ from TextColumnName ('{TextColumnName}').", nameof(SecondTextColumnName));
            }
        }
        Model.Validate(this);
    }
}
