using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// The network a <see cref="TextClassificationTrainer"/> trains and where its weights come from: a pretrained BERT
/// (<see cref="BertFineTuning"/>), a BERT trained from scratch (<see cref="BertFromScratch"/>), or a fastText-style
/// n-gram model (<see cref="FastText"/>). Each checks its own settings as they are set, with messages naming the
/// setting, and supplies the training defaults that suit it (see <see cref="TextClassificationTrainerOptions"/>).
/// </summary>
public abstract class TextModel
{
    private protected TextModel()
    {
    }

    /// <summary>Sets the trainer options' optimizer, schedule, epochs and batch size to this model's recipe.</summary>
    internal abstract void ApplyTrainingDefaults(TextClassificationTrainerOptions options);

    /// <summary>Checks what involves the trainer's other settings (a sentence pair's length, the precision).</summary>
    internal abstract void Validate(TextClassificationTrainerOptions options);

    /// <summary>
    /// The working state of one fit: files are read and parsed here, once per fit, and the settings copied, so a fit
    /// sees one consistent model even if this object changes meanwhile.
    /// </summary>
    internal abstract TorchClassificationFit CreateFit(TextClassificationTrainerOptions options, IChannel channel);
}
