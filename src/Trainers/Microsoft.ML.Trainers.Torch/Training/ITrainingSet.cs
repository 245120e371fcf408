using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Labelled examples held in memory, collated into batches of input tensors by the trainer that read them.
/// </summary>
public interface ITrainingSet
{
    /// <summary>The number of examples.</summary>
    int Count { get; }

    /// <summary>The 0-based class of example <paramref name="index"/>.</summary>
    int GetLabel(int index);

    /// <summary>
    /// The input tensors for the examples at <paramref name="indices"/>, in that order. When
    /// <paramref name="augment"/> is set, training-only augmentation draws from <paramref name="random"/>.
    /// </summary>
    IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random);

    /// <summary>Whether <see cref="Collate"/> with augmentation changes the examples (reported with the training metrics).</summary>
    bool Augments => false;

    /// <summary>A view of the examples at <paramref name="indices"/> (used to hold out a validation split).</summary>
    ITrainingSet Subset(int[] indices);
}
