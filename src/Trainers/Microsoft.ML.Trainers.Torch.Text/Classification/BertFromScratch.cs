using System;
using System.IO;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Trains a BERT-family encoder with a classification head from randomly initialised weights (Hugging Face's
/// initialisation), with a given architecture and WordPiece vocabulary.
/// </summary>
/// <example><code>new TextClassificationTrainerOptions(new BertFromScratch { Config = new BertConfig { ... }, Vocabulary = "vocab.txt" })</code></example>
public sealed class BertFromScratch : BertTextModel
{
    private BertConfig _config = null!;
    private string _vocabulary = null!;

    /// <summary>The architecture (layers, hidden size, heads, vocabulary size, positions, ...). Checked when set.</summary>
    /// <exception cref="InvalidDataException">A value is out of range; the message names it.</exception>
    public required BertConfig Config
    {
        get => _config;
        set
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Config));
            value.Validate(nameof(Config));
            _config = value;
        }
    }

    /// <summary>A WordPiece <c>vocab.txt</c> (one token per line, id = line number). Checked when set; read once per fit.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public required string Vocabulary
    {
        get => _vocabulary;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Vocabulary));
            if (!File.Exists(value))
            {
                throw new FileNotFoundException($"Vocabulary '{value}' does not exist.", value);
            }
            _vocabulary = value;
        }
    }

    /// <summary>Casing, accent and special-token settings for <see cref="Vocabulary"/>; null is BERT's uncased defaults.</summary>
    public BertTokenizerSettings? TokenizerSettings { get; set; }

    internal override void Validate(TextClassificationTrainerOptions options)
    {
        base.Validate(options);
        // The configuration is mutable, so it is checked again with the settings it constrains.
        Config.Validate(nameof(Config));
        if (MaxSequenceLength is int length && length > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength {length} exceeds Config.MaxPositionEmbeddings ({Config.MaxPositionEmbeddings}).");
        }
    }

    internal override TorchClassificationFit CreateFit(TextClassificationTrainerOptions options, IChannel channel)
    {
        BertConfig config = Config.Clone();
        BertTextTokenizer tokenizer;
        using (FileStream vocabulary = File.OpenRead(Vocabulary))
        {
            tokenizer = BertTextTokenizer.Create(vocabulary, TokenizerSettings ?? new BertTokenizerSettings());
        }
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new ArgumentException(
                $"Vocabulary '{Vocabulary}' has {tokenizer.VocabularySize} tokens but Config.VocabSize is {config.VocabSize}.", nameof(Vocabulary));
        }
        var encoder = CreateEncoder(tokenizer, config.MaxPositionEmbeddings, nameof(Config));
        double? dropout = Dropout;
        return new BertClassificationFit(options, encoder, nameof(BertFromScratch), (labels, _) =>
        {
            BertConfig labelled = config.WithLabels(labels);
            var network = new BertForSequenceClassification(dropout is double p ? labelled.WithDropout(p) : labelled);
            network.InitializeWeights();
            return network;
        }, this);
    }
}
