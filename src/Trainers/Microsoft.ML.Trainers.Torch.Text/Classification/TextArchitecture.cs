namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>The network a <see cref="TextClassificationTrainer"/> trains.</summary>
public enum TextArchitecture
{
    /// <summary>
    /// A BERT-family encoder with a classification head (Hugging Face's <c>BertForSequenceClassification</c>),
    /// fine-tuned from a local checkpoint folder or trained from scratch with a given configuration and vocabulary.
    /// </summary>
    Bert,

    /// <summary>
    /// A fastText-style model: the mean of hashed word n-gram embeddings and a linear head. Trains from scratch
    /// in seconds on a CPU.
    /// </summary>
    FastText,
}
