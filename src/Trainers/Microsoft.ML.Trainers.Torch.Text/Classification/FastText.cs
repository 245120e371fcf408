using System;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// A fastText-style model trained from scratch: the mean of hashed word n-gram embeddings, an optional hidden layer and
/// a linear head. Trains in seconds on a CPU.
/// </summary>
/// <remarks>
/// Training defaults: the embedding table is trained by sparse SGD at <see cref="EmbeddingLearningRate"/> per example as
/// fastText does, the dense head by AdamW with learning rate 0.02 and no weight decay; linear decay to 0, gradient
/// clipping at 1.0 (dense parameters), 5 epochs, batch 64. Training runs in float32 only: its time goes to hashing and
/// sparse row updates, not matrix products, so bfloat16 gains nothing and would round the table.
/// </remarks>
/// <example><code>new TextClassificationTrainerOptions(new FastText { Shape = new FastTextOptions { HiddenSize = 64 } })</code></example>
public sealed class FastText : TextModel
{
    private FastTextOptions _shape = new();
    private double _embeddingLearningRate = 1.0;

    /// <summary>The model and featurizer shape (buckets, embedding size, word n-grams, hidden layer, dropout, most words per text).</summary>
    public FastTextOptions Shape
    {
        get => _shape;
        set => _shape = value ?? throw new ArgumentNullException(nameof(Shape), "Shape must be set (for example new FastTextOptions()).");
    }

    /// <summary>
    /// The SGD learning rate of the (sparse) embedding table per example, like fastText's <c>-lr</c> (default 1). The loss
    /// is a batch mean, so the step uses this times the batch size. It follows the schedule's multiplier.
    /// </summary>
    public double EmbeddingLearningRate
    {
        get => _embeddingLearningRate;
        set
        {
            if (!double.IsFinite(value) || value <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(EmbeddingLearningRate), value, $"EmbeddingLearningRate must be positive (was {value}).");
            }
            _embeddingLearningRate = value;
        }
    }

    internal override void ApplyTrainingDefaults(TextClassificationTrainerOptions options)
    {
        options.Optimizer = new AdamWOptions { LearningRate = 0.02, WeightDecay = 0 };
        options.Schedule = new WarmupLinearSchedule();
        options.Epochs = 5;
        options.BatchSize = 64;
    }

    internal override void Validate(TextClassificationTrainerOptions options)
    {
        if (options.Precision != TrainingPrecision.Float32)
        {
            throw new ArgumentException("Precision must be Float32 for the FastText model.", nameof(options.Precision));
        }
        // The shape is mutable, so it is checked when the trainer is created.
        Shape.Validate();
        if (options.Optimizer is MuonOptions && Shape.HiddenSize == 0)
        {
            // Known without data: the training loop would find no hidden matrix only after every text was read.
            throw new ArgumentException(
                "Optimizer Muon needs a hidden 2-D weight matrix, and a FastText model without a hidden layer has none (only the embedding bag and the head); " +
                "set Shape.HiddenSize or choose AdamW.", nameof(options.Optimizer));
        }
    }

    internal override TorchClassificationFit CreateFit(TextClassificationTrainerOptions options, IChannel channel)
        // A copy: the fit (and the model it saves) keeps the shape as it was when the fit started.
        => new FastTextClassificationFit(options, FastTextOptions.FromJson(Shape.ToJson()), EmbeddingLearningRate * options.BatchSize);
}
