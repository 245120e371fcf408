using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face Trainer's <c>group_by_length</c> (its <c>LengthGroupedSampler</c>): the epoch's random order is cut into
/// megabatches of 50 batches (fewer when the data holds less than 200 batches: a quarter of the batches, at least one),
/// each sorted by length, longest first, and the longest example of the epoch is swapped to the front, so the first batch
/// is the longest (an out-of-memory error shows at once, not late in the epoch).
/// </summary>
internal static class LengthGrouping
{
    /// <summary>Batches per megabatch at most, as in Hugging Face's sampler.</summary>
    public const int MegabatchBatches = 50;

    /// <summary>Reorders <paramref name="order"/> (a random permutation) in place; <paramref name="length"/> gives an example's length.</summary>
    public static void Arrange(Span<int> order, int batchSize, Func<int, int> length)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        }
        if (order.Length == 0)
        {
            return;
        }
        // Hugging Face: mega_batch_mult = min(len // (batch_size * 4), 50), at least 1.
        int batches = (int)Math.Clamp(order.Length / (4L * batchSize), 1, MegabatchBatches);
        long megabatchSize = (long)batches * batchSize;
        var lengths = new int[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            lengths[i] = length(order[i]);
        }

        int longestStart = 0, longest = int.MinValue;
        var positions = new int[order.Length];
        for (int start = 0; start < order.Length; start += (int)Math.Min(megabatchSize, order.Length - start))
        {
            int count = (int)Math.Min(megabatchSize, order.Length - start);
            for (int i = 0; i < count; i++)
            {
                positions[start + i] = start + i;
            }
            // Descending length, ties in the random order (Python's sorted is stable): the same seed gives the same epoch.
            Array.Sort(positions, start, count, Comparer<int>.Create(
                (a, b) => lengths[a] != lengths[b] ? lengths[b].CompareTo(lengths[a]) : a.CompareTo(b)));
            if (lengths[positions[start]] > longest)
            {
                longest = lengths[positions[start]];
                longestStart = start;
            }
        }
        // Hugging Face swaps the longest megabatch's first example with the first megabatch's first.
        (positions[0], positions[longestStart]) = (positions[longestStart], positions[0]);

        int[] shuffled = order.ToArray();
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = shuffled[positions[i]];
        }
    }
}
