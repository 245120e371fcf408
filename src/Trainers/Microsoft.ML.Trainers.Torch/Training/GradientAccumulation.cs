using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// How one optimizer step's batch splits into the micro-batches whose gradients accumulate
/// (<see cref="TorchTrainerOptions.GradientAccumulationSteps"/>).
/// </summary>
internal static class GradientAccumulation
{
    /// <summary>
    /// The (start, length) of each micro-batch of a batch of <paramref name="batchLength"/> examples: chunks of
    /// <paramref name="microBatchSize"/>, with a trailing single example joined to the chunk before it (a batch of one
    /// would break BatchNorm in train mode).
    /// </summary>
    public static IReadOnlyList<(int Start, int Length)> Split(int batchLength, int microBatchSize)
    {
        if (microBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(microBatchSize), $"The micro-batch size must be at least 1 (was {microBatchSize}).");
        }
        var parts = new List<(int Start, int Length)>();
        for (int start = 0; start < batchLength; start += microBatchSize)
        {
            parts.Add((start, Math.Min(microBatchSize, batchLength - start)));
        }
        if (parts.Count > 1 && parts[^1].Length == 1)
        {
            (int start, int length) = parts[^2];
            parts.RemoveAt(parts.Count - 1);
            parts[^1] = (start, length + 1);
        }
        return parts;
    }

    /// <summary>
    /// The factor of a micro-batch's mean loss so that the accumulated gradient is the mean over the whole batch, as
    /// one batch of <paramref name="batchLength"/> would give.
    /// </summary>
    public static double LossWeight(int microBatchLength, int batchLength) => microBatchLength / (double)batchLength;
}
