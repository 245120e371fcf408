using System;
using System.IO;
using System.Text.Json;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// The shape of a <see cref="FastTextClassifier"/> and of its <see cref="FastTextFeaturizer"/>: hashed
/// word n-grams (and optionally character n-grams) averaged into one embedding, an optional hidden
/// layer, and a linear head.
/// </summary>
public sealed class FastTextOptions
{
    /// <summary>Rows of the hashed embedding table; every n-gram maps to one of them.</summary>
    public int Buckets { get; set; } = 1 << 20;

    /// <summary>Width of the embedding (and of the averaged text vector).</summary>
    public int EmbeddingDim { get; set; } = 32;

    /// <summary>Longest word n-gram: 1 = unigrams only, 2 = unigrams and bigrams, 3 = up to trigrams.</summary>
    public int WordNgrams { get; set; } = 2;

    /// <summary>Shortest character n-gram (of <c>&lt;word&gt;</c>); 0 disables character n-grams.</summary>
    public int CharNgramMinLength { get; set; }

    /// <summary>Longest character n-gram; ignored when <see cref="CharNgramMinLength"/> is 0.</summary>
    public int CharNgramMaxLength { get; set; }

    /// <summary>Width of a ReLU hidden layer between the text vector and the head; 0 for none (plain fastText).</summary>
    public int HiddenSize { get; set; }

    /// <summary>Dropout on the text vector (and hidden layer) during training.</summary>
    public double Dropout { get; set; }

    /// <summary>Only the first this many words of a text are used (bounds time on very long texts).</summary>
    public int MaxTokens { get; set; } = 1000;

    /// <summary>
    /// Whether the embedding table gets sparse gradients (only the rows a batch used). Dense gradients
    /// cost a full pass over the table per step - on a 2-core CPU about 1 s for backward plus 2 s for
    /// AdamW at 2^20 × 32 - while a sparse step costs tens of milliseconds; but sparse gradients need
    /// an optimizer that accepts them (plain SGD, as fastText itself uses, without weight decay).
    /// </summary>
    public bool SparseGradients { get; set; } = true;

    /// <summary>Lowercase text before splitting it into words.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>Checks that the values describe a buildable model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names the option.</exception>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(name, value, $"FastTextOptions.{name} {rule} (was {value}).");
            }
        }
        Check(Buckets > 0, nameof(Buckets), Buckets, "must be positive");
        Check(EmbeddingDim > 0, nameof(EmbeddingDim), EmbeddingDim, "must be positive");
        Check(WordNgrams is >= 1 and <= 5, nameof(WordNgrams), WordNgrams, "must be 1 to 5");
        Check(CharNgramMinLength >= 0, nameof(CharNgramMinLength), CharNgramMinLength, "must be 0 (off) or positive");
        Check(CharNgramMinLength == 0 || CharNgramMaxLength >= CharNgramMinLength, nameof(CharNgramMaxLength), CharNgramMaxLength, "must be at least CharNgramMinLength");
        Check(HiddenSize >= 0, nameof(HiddenSize), HiddenSize, "must be 0 (none) or positive");
        Check(Dropout is >= 0 and < 1, nameof(Dropout), Dropout, "must be in [0, 1)");
        Check(MaxTokens > 0, nameof(MaxTokens), MaxTokens, "must be positive");
    }

    /// <summary>Serializes the options (for saving a trained model).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads options written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not valid options JSON.</exception>
    public static FastTextOptions FromJson(string json)
    {
        try
        {
            FastTextOptions options = JsonSerializer.Deserialize<FastTextOptions>(json)
                ?? throw new InvalidDataException("fastText options JSON is 'null'.");
            options.Validate();
            return options;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"fastText options JSON is invalid: {e.Message}", e);
        }
    }
}
