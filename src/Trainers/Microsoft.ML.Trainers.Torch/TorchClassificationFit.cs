using System;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The working state of one <see cref="TorchClassificationTrainer{TOptions}.Fit"/>: what the trainer settled from the
/// training data (the input shape, the normalization, the tokenizer), how it reads rows into memory, and how it creates
/// the model. The estimator creates a new one for every fit (ML.NET's estimator, per-fit trainer, transformer shape),
/// so two fits of one estimator, even concurrent ones, share no state.
/// </summary>
public abstract class TorchClassificationFit
{
    /// <summary>Creates the fit's state for a key-typed label column.</summary>
    /// <param name="labelColumnName">The label column, named in errors about missing labels.</param>
    protected TorchClassificationFit(string labelColumnName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        LabelColumnName = labelColumnName;
    }

    /// <summary>The label column.</summary>
    public string LabelColumnName { get; }

    /// <summary>
    /// The plain-SGD rate for the model's <see cref="TorchClassificationModel.SparseGradientParameterNames"/> (scaled by the
    /// schedule like the main rate); only fits whose models have such parameters override it.
    /// </summary>
    public virtual double SparseLearningRate => 0;

    /// <summary>
    /// Reads <paramref name="data"/>'s inputs and labels (0-based classes) into memory; called for the training data and
    /// for a validation set. Throws naming the row and column on bad values.
    /// </summary>
    protected internal abstract ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel);

    /// <summary>
    /// Checks, before any row is read, that the model's starting weights (a pretrained file) fit the network these options
    /// build for <paramref name="labels"/>, throwing naming the file and each tensor that does not fit; by default nothing
    /// needs checking. Called with the process-wide generator held (as <see cref="CreateModel"/> is), so building a network
    /// here to compare shapes disturbs no other fit's initialisation.
    /// </summary>
    protected internal virtual void CheckStartingWeights(LabelKeyInfo labels, IChannel channel)
    {
    }

    /// <summary>Creates the untrained (or pretrained) model for <paramref name="labels"/>, after the seed is set.</summary>
    protected internal abstract TorchClassificationModel CreateModel(LabelKeyInfo labels, ITrainingSet trainingSet, IChannel channel);

    /// <summary>Reads a key label as a 0-based class, naming the row and column when it is missing.</summary>
    protected int ReadClass(ValueGetter<uint> getter, long row)
    {
        uint key = 0;
        getter(ref key);
        if (key == 0)
        {
            throw new InvalidOperationException($"Row {row}: label column '{LabelColumnName}' is missing (key 0). Every training row needs a label.");
        }
        return (int)key - 1;
    }
}
