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

    /// <summary>
    /// Mixes a collated training batch (mixup, CutMix), or returns null to train on it with the hard labels. Called once
    /// per training (micro-)batch with the loop's random source, after <see cref="Collate"/>.
    /// </summary>
    /// <param name="inputs">The collated inputs, on the training device.</param>
    /// <param name="labels">The batch's 0-based classes, on the training device.</param>
    /// <param name="classCount">The number of classes.</param>
    /// <param name="random">The loop's random source.</param>
    MixedBatch? Mix(IReadOnlyList<Tensor> inputs, Tensor labels, int classCount, Random random) => null;

    /// <summary>Whether <see cref="Collate"/> with augmentation changes the examples (reported with the training metrics).</summary>
    bool Augments => false;

    /// <summary>
    /// The examples the loop trains on: this set (the default), or finer ones each labelled with its example's class, such
    /// as the windows of a long text, all trained on while validation and scoring read each example whole. Called once
    /// per fit, after any validation split, so the split stays by example.
    /// </summary>
    ITrainingSet TrainingExamples() => this;

    /// <summary>A view of the examples at <paramref name="indices"/> (used to hold out a validation split).</summary>
    ITrainingSet Subset(int[] indices);

    /// <summary>
    /// Reorders one epoch's (already shuffled) <paramref name="order"/> in place before the loop cuts it into consecutive
    /// batches of <paramref name="batchSize"/> examples, e.g. to group examples of similar length. Must keep it a
    /// permutation and draw only from <paramref name="random"/>, so that a seed repeats the run. The default keeps it.
    /// </summary>
    void ArrangeEpoch(Span<int> order, int batchSize, Random random)
    {
    }
}
