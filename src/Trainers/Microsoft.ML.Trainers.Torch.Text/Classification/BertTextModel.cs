using System;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// What the BERT model choices share: the sequence length, the dropout override, and the fine-tuning recipe of the BERT
/// paper and Hugging Face's Trainer as training defaults: AdamW with learning rate 2e-5 and weight decay 0.01 (none on
/// biases and LayerNorm), 10% linear warmup then linear decay, gradient clipping at 1.0, 3 epochs, batch 32.
/// </summary>
public abstract class BertTextModel : TextModel
{
    /// <summary>The sequence length when <see cref="MaxSequenceLength"/> is null (capped by the model's positions).</summary>
    public const int DefaultMaxSequenceLength = 128;

    private int? _maxSequenceLength;
    private double? _dropout;
    private double? _layerDecay;
    private int _tailTokens;
    private int _windows = 1;

    private protected BertTextModel()
    {
    }

    /// <summary>
    /// The most word pieces per row including <c>[CLS]</c>/<c>[SEP]</c>; longer text is truncated (pairs longest-first, as
    /// Hugging Face does), never an error. Null: 128, or the model's <c>max_position_embeddings</c> if smaller. At least 2
    /// (3 for sentence pairs) and at most <c>max_position_embeddings</c>.
    /// </summary>
    public int? MaxSequenceLength
    {
        get => _maxSequenceLength;
        set
        {
            if (value is int length && length < 2)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), value,
                    $"MaxSequenceLength must be at least 2 to hold BERT's special tokens (was {length}).");
            }
            _maxSequenceLength = value;
        }
    }

    /// <summary>
    /// Head+tail truncation (Sun et al. 2019, "How to Fine-Tune BERT for Text Classification"): a single text longer
    /// than the sequence length keeps its last <c>TailTokens</c> word pieces and fills the rest from its start, so the
    /// end of a long document (an e-mail's signature or list footer, a review's verdict) is seen too. 0 (the default)
    /// keeps the first tokens only, as Hugging Face does. At most the sequence length minus the 2 special tokens (all
    /// tail); single texts only (pairs are cut longest-first). Saved with the model, so scoring truncates alike.
    /// </summary>
    public int TailTokens
    {
        get => _tailTokens;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(TailTokens), value, $"TailTokens must be 0 or more (was {value}).");
            }
            _tailTokens = value;
        }
    }

    /// <summary>
    /// Reads a single text longer than the sequence length as up to this many consecutive windows of it (each with its own
    /// <c>[CLS]</c>/<c>[SEP]</c>, no overlap; Hugging Face's overflowing tokens), instead of its start alone. Training
    /// takes every window as an example labelled with its text's class, so an epoch costs up to this many times as much;
    /// validation and scoring give each text the mean of its windows' class probabilities. 1 (the default) truncates.
    /// Single texts only; not with <see cref="TailTokens"/>. Saved with the model, so scoring reads texts alike.
    /// </summary>
    public int Windows
    {
        get => _windows;
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(Windows), value, $"Windows must be at least 1 (was {value}).");
            }
            _windows = value;
        }
    }

    /// <summary>Overrides every dropout probability of the model (hidden, attention, classifier), in [0, 1); null keeps the configuration's.</summary>
    public double? Dropout
    {
        get => _dropout;
        set
        {
            if (value is double dropout && (!double.IsFinite(dropout) || dropout < 0 || dropout >= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(Dropout), value, $"Dropout must be in [0, 1) or null (was {dropout}).");
            }
            _dropout = value;
        }
    }

    /// <summary>
    /// Groups training batches by length, as Hugging Face Trainer's <c>group_by_length</c>: each epoch's random order is
    /// cut into megabatches of 50 batches, each sorted by token count, longest first. Every batch is padded only to its
    /// own longest row, so similar lengths together waste less compute on padding; the attention mask makes padding
    /// irrelevant to the result. Batches within a megabatch then follow in descending length rather than at random.
    /// </summary>
    public bool GroupByLength { get; set; }

    /// <summary>
    /// Layer-wise learning-rate decay in (0, 1], as timm's <c>layer_decay</c>: the classifier and pooler train at the
    /// full learning rate, encoder layer <c>i</c> (0-based, of <c>L</c>) at <c>decay^(L - i)</c> times it, the embeddings
    /// at <c>decay^(L + 1)</c>, so the lower, more general layers move less. Combines with the no-decay split of biases
    /// and norms; the schedule scales every group alike. Null (the default) or 1: one rate for all. Typical: 0.65–0.9.
    /// </summary>
    public double? LayerDecay
    {
        get => _layerDecay;
        set
        {
            if (value is double decay && (!double.IsFinite(decay) || decay <= 0 || decay > 1))
            {
                throw new ArgumentOutOfRangeException(nameof(LayerDecay), value, $"LayerDecay must be in (0, 1] or null (was {decay}).");
            }
            _layerDecay = value;
        }
    }

    internal override void ApplyTrainingDefaults(TextClassificationTrainerOptions options)
    {
        options.Optimizer = new AdamWOptions { LearningRate = 2e-5, WeightDecay = 0.01 };
        options.Schedule = new WarmupLinearSchedule { WarmupRatio = 0.1 };
        options.Epochs = 3;
        options.BatchSize = 32;
    }

    internal override void Validate(TextClassificationTrainerOptions options)
    {
        if (options.SecondTextColumnName is not null && MaxSequenceLength is int max && max < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength must be at least 3 to hold BERT's special tokens of a sentence pair (was {max}).");
        }
        if (options.SecondTextColumnName is not null && TailTokens > 0)
        {
            throw new ArgumentException(
                $"TailTokens ({TailTokens}) applies to single texts; sentence pairs (SecondTextColumnName '{options.SecondTextColumnName}') are truncated longest-first.",
                nameof(TailTokens));
        }
        if (Windows > 1 && options.SecondTextColumnName is not null)
        {
            throw new ArgumentException(
                $"Windows ({Windows}) applies to single texts; sentence pairs (SecondTextColumnName '{options.SecondTextColumnName}') are truncated longest-first.",
                nameof(Windows));
        }
        if (Windows > 1 && TailTokens > 0)
        {
            throw new ArgumentException(
                $"Windows ({Windows}) and TailTokens ({TailTokens}) are two ways to read past the sequence length; set one of them.", nameof(Windows));
        }
        if (Windows > 1 && MaxSequenceLength is int windowLength && windowLength < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength must be at least 3 for Windows ({Windows}): each window holds a word piece besides the 2 special tokens (was {windowLength}).");
        }
        if (MaxSequenceLength is int length)
        {
            CheckTailFits(length, nameof(MaxSequenceLength));
        }
    }

    private void CheckTailFits(int length, string lengthSource)
    {
        if (TailTokens > length - 2)
        {
            throw new ArgumentOutOfRangeException(nameof(TailTokens),
                $"TailTokens ({TailTokens}) leaves no room for BERT's 2 special tokens within the sequence length {length} ({lengthSource}); use at most {length - 2}.");
        }
    }

    /// <summary>
    /// The encoder for a model with <paramref name="maxPositions"/> positions: its sequence length and tail; throws naming
    /// <paramref name="source"/> when they do not fit.
    /// </summary>
    private protected BertTextEncoder CreateEncoder(BertTextTokenizer tokenizer, int maxPositions, string source)
    {
        int length = MaxSequenceLength ?? Math.Min(DefaultMaxSequenceLength, maxPositions);
        if (length > maxPositions)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength {length} exceeds max_position_embeddings {maxPositions} of '{source}'.");
        }
        CheckTailFits(length, MaxSequenceLength is null ? $"the default for '{source}'" : nameof(MaxSequenceLength));
        return new BertTextEncoder(tokenizer, length, TailTokens, Windows);
    }
}
