namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// How <see cref="BertForSequenceClassification"/> turns the final hidden states into the one vector its
/// classifier reads. Stored in <c>config.json</c> as <c>classifier_pooling</c> ("pooler", "cls", "mean").
/// </summary>
public enum BertPooling
{
    /// <summary>
    /// The [CLS] state through BERT's pooler (dense + tanh), as Hugging Face's <c>BertForSequenceClassification</c>.
    /// An encoder without pooler weights gets a freshly initialised pooler (reported when loading).
    /// </summary>
    Pooler,

    /// <summary>The final [CLS] state itself, without the pooler.</summary>
    Cls,

    /// <summary>The mean of the final states over the real tokens (attention mask 1), as sentence-transformers models are trained.</summary>
    Mean,
}
