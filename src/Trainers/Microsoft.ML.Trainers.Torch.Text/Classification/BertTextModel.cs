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
    }

    /// <summary>The sequence length for a model with <paramref name="maxPositions"/> positions; throws naming <paramref name="source"/> when it does not fit.</summary>
    private protected int ResolveMaxLength(int maxPositions, string source)
    {
        int length = MaxSequenceLength ?? Math.Min(DefaultMaxSequenceLength, maxPositions);
        if (length > maxPositions)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength {length} exceeds max_position_embeddings {maxPositions} of '{source}'.");
        }
        return length;
    }
}
