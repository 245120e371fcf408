using System;
using System.IO;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Options of <see cref="TextClassificationTrainer"/>: the text column(s), the architecture and where its
/// weights come from, sequence length and dropout, plus the shared training-loop settings.
/// </summary>
/// <remarks>
/// The architecture is chosen at construction because the sensible training defaults depend on it:
/// <list type="bullet">
/// <item><see cref="TextArchitecture.Bert"/> (fine-tuning, as in the BERT paper and Hugging Face's Trainer): AdamW
/// with learning rate 2e-5 and weight decay 0.01 (none on biases and LayerNorm), 10% linear warmup then linear
/// decay, gradient clipping at 1.0, 3 epochs, batch 32, sequences of at most 128 tokens.</item>
/// <item><see cref="TextArchitecture.FastText"/> (from scratch): the embedding table is trained by sparse SGD at
/// <see cref="EmbeddingLearningRate"/> per example as fastText does, the dense head by AdamW with learning rate
/// 0.02 and no weight decay; linear decay to 0, gradient clipping at 1.0 (dense parameters), 5 epochs, batch 64.</item>
/// </list>
/// </remarks>
public sealed class TextClassificationTrainerOptions : TorchTrainerOptions
{
    /// <summary>Options for fine-tuning a BERT-family checkpoint (set <see cref="CheckpointFolder"/>).</summary>
    public TextClassificationTrainerOptions() : this(TextArchitecture.Bert)
    {
    }

    /// <summary>Options with <paramref name="architecture"/>'s training defaults.</summary>
    public TextClassificationTrainerOptions(TextArchitecture architecture)
    {
        Architecture = architecture;
        GradientClipNorm = 1.0;
        LogEveryNSteps = 50;
        if (architecture == TextArchitecture.Bert)
        {
            Optimizer = new AdamWOptions { LearningRate = 2e-5, WeightDecay = 0.01 };
            Schedule = new WarmupLinearSchedule { WarmupRatio = 0.1 };
            Epochs = 3;
            BatchSize = 32;
        }
        else
        {
            Optimizer = new AdamWOptions { LearningRate = 0.02, WeightDecay = 0 };
            Schedule = new WarmupLinearSchedule();
            Epochs = 5;
            BatchSize = 64;
        }
    }

    /// <summary>The network; chosen at construction, since the defaults above depend on it.</summary>
    public TextArchitecture Architecture { get; }

    /// <summary>The text column (String). Missing or empty text is allowed.</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>The second text of a sentence pair (String), or null for single texts.</summary>
    public string? SecondTextColumnName { get; set; }

    /// <summary>
    /// A Hugging Face checkpoint folder (<c>config.json</c>, <c>model.safetensors</c> in fp32, fp16 or bf16,
    /// <c>vocab.txt</c> or <c>tokenizer.json</c>) to fine-tune; BERT only. Null trains from scratch, which for BERT
    /// needs <see cref="BertConfig"/> and <see cref="VocabularyPath"/>. Nothing is downloaded.
    /// </summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>The architecture of a BERT trained from scratch (without <see cref="CheckpointFolder"/>).</summary>
    public BertConfig? BertConfig { get; set; }

    /// <summary>A WordPiece <c>vocab.txt</c> for a BERT trained from scratch (without <see cref="CheckpointFolder"/>).</summary>
    public string? VocabularyPath { get; set; }

    /// <summary>Casing, accent and special-token settings for <see cref="VocabularyPath"/>; null is BERT's uncased defaults.</summary>
    public BertTokenizerSettings? TokenizerSettings { get; set; }

    /// <summary>
    /// The most tokens per row; longer text is truncated, never an error. BERT: word pieces including
    /// <c>[CLS]</c>/<c>[SEP]</c> (default 128, at most the checkpoint's <c>max_position_embeddings</c>); pairs are cut
    /// longest-first as Hugging Face does. fastText: words (default <see cref="FastTextOptions.MaxTokens"/>).
    /// </summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>Overrides every dropout probability of the model; null keeps the checkpoint's (or fastText's 0).</summary>
    public double? Dropout { get; set; }

    /// <summary>BERT: train only the pooler and classifier, keeping the encoder's pretrained weights.</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>The fastText model and featurizer shape (buckets, embedding size, word n-grams, ...).</summary>
    public FastTextOptions FastText { get; set; } = new();

    /// <summary>
    /// fastText: the SGD learning rate of the (sparse) embedding table per example, like fastText's <c>-lr</c>. The
    /// loss is a batch mean, so the step uses this times the batch size. It follows the schedule's multiplier.
    /// </summary>
    public double EmbeddingLearningRate { get; set; } = 1.0;

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
        if (Dropout is double dropout && (!double.IsFinite(dropout) || dropout < 0 || dropout >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), $"Dropout must be in [0, 1) or null (was {dropout}).");
        }
        if (Architecture == TextArchitecture.Bert)
        {
            ValidateBert();
        }
        else
        {
            ValidateFastText();
        }
    }

    private void ValidateBert()
    {
        int minimum = SecondTextColumnName is null ? 2 : 3;
        if (MaxSequenceLength is int max && max < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength must be at least {minimum} to hold BERT's special tokens (was {max}).");
        }
        if (CheckpointFolder is not null)
        {
            if (BertConfig is not null || VocabularyPath is not null || TokenizerSettings is not null)
            {
                throw new ArgumentException("BertConfig, VocabularyPath and TokenizerSettings are for training from scratch; the checkpoint in CheckpointFolder defines them.", nameof(CheckpointFolder));
            }
            if (!Directory.Exists(CheckpointFolder))
            {
                throw new DirectoryNotFoundException($"CheckpointFolder '{CheckpointFolder}' does not exist.");
            }
            foreach (string file in new[] { BertCheckpoint.ConfigFileName, BertCheckpoint.WeightsFileName })
            {
                string path = Path.Combine(CheckpointFolder, file);
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"CheckpointFolder '{CheckpointFolder}' has no '{file}'.", path);
                }
            }
            if (!File.Exists(Path.Combine(CheckpointFolder, "vocab.txt")) && !File.Exists(Path.Combine(CheckpointFolder, "tokenizer.json")))
            {
                throw new FileNotFoundException($"CheckpointFolder '{CheckpointFolder}' has neither 'vocab.txt' nor 'tokenizer.json'.", Path.Combine(CheckpointFolder, "vocab.txt"));
            }
            return;
        }
        if (BertConfig is null || VocabularyPath is null)
        {
            throw new ArgumentException(
                "A BERT classifier needs CheckpointFolder (to fine-tune) or, to train from scratch, both BertConfig and VocabularyPath. " +
                "For a fast from-scratch model use new TextClassificationTrainerOptions(TextArchitecture.FastText).", nameof(CheckpointFolder));
        }
        BertConfig.Validate(nameof(BertConfig));
        if (!File.Exists(VocabularyPath))
        {
            throw new FileNotFoundException($"VocabularyPath '{VocabularyPath}' does not exist.", VocabularyPath);
        }
        if (MaxSequenceLength is int length && length > BertConfig.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength),
                $"MaxSequenceLength {length} exceeds BertConfig.MaxPositionEmbeddings ({BertConfig.MaxPositionEmbeddings}).");
        }
    }

    private void ValidateFastText()
    {
        if (CheckpointFolder is not null)
        {
            throw new ArgumentException("CheckpointFolder applies to the Bert architecture; FastText trains from scratch.", nameof(CheckpointFolder));
        }
        if (BertConfig is not null || VocabularyPath is not null || TokenizerSettings is not null)
        {
            throw new ArgumentException("BertConfig, VocabularyPath and TokenizerSettings apply to the Bert architecture.", nameof(BertConfig));
        }
        if (FreezeEncoder)
        {
            throw new ArgumentException("FreezeEncoder applies to the Bert architecture; a FastText model trains all its weights.", nameof(FreezeEncoder));
        }
        if (Precision != TrainingPrecision.Float32)
        {
            // Its time goes to hashing and sparse row updates, not matrix products: bfloat16 gains nothing and would round the table.
            throw new ArgumentException("Precision must be Float32 for the FastText architecture.", nameof(Precision));
        }
        if (FastText is null)
        {
            throw new ArgumentNullException(nameof(FastText), "FastText must be set (for example new FastTextOptions()).");
        }
        FastText.Validate();
        if (MaxSequenceLength is int max && max < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), $"MaxSequenceLength must be at least 1 (was {max}).");
        }
        if (!double.IsFinite(EmbeddingLearningRate) || EmbeddingLearningRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(EmbeddingLearningRate), $"EmbeddingLearningRate must be positive (was {EmbeddingLearningRate}).");
        }
    }
}
