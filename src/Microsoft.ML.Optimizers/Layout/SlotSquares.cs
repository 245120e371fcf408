using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Per-tensor sums of squares gathered from the cache-sized pieces of <see cref="ChunkExecutor"/>: the layer-wise
/// optimizers (LAMB, LARS) need each tensor's norm, and taking it piece by piece, while the piece is in cache, saves a
/// pass over memory and thousands of small per-tensor operations. Each piece's part of a tensor is one libtorch norm in the
/// tensor's type (as PyTorch's references take theirs; a part is at most a cache-sized piece, which ATen's vectorized
/// cascade sums without losing digits that matter), and the squares of those norms are summed in float64 across pieces,
/// so a large tensor's norm does not degrade with its size. Each worker sums into its own row; <see cref="Norm"/> adds
/// the rows in worker order, so the result does not depend on thread timing. Hand-written: libtorch has no segmented
/// reduction that TorchSharp exposes.
/// </summary>
internal sealed class SlotSquares
{
    private readonly FlatBucket _bucket;
    private double[,] _sums = new double[0, 0];

    public SlotSquares(FlatBucket bucket)
    {
        _bucket = bucket;
    }

    /// <summary>Clears the sums for a step run by <paramref name="workers"/> workers (pass as ChunkExecutor's prepare).</summary>
    public void Reset(int workers)
    {
        if (_sums.GetLength(0) != workers || _sums.GetLength(1) != _bucket.Slots.Count)
        {
            _sums = new double[workers, _bucket.Slots.Count];
        }
        else
        {
            Array.Clear(_sums);
        }
    }

    /// <summary>
    /// Adds the squares of <paramref name="piece"/> (the values of the bucket's elements [<paramref name="offset"/>,
    /// <paramref name="offset"/> + length)) to the sums of the slots it overlaps, among slots
    /// [<paramref name="firstSlot"/>, <paramref name="endSlot"/>).
    /// </summary>
    public void Add(Tensor piece, long offset, int firstSlot, int endSlot, int worker)
    {
        // One read of the piece per overlapping slot: ATen's norm kernel, not squares of a float64 copy (three passes, two
        // of them at double width) nor BLAS dot, whose own threading would start a thread team per worker.
        ForEachOverlap(offset, piece.shape[0], firstSlot, endSlot, (slot, start, count) =>
        {
            using Tensor part = piece.narrow(0, start, count);
            using Tensor norm = part.norm(2.0f);
            using Tensor wide = norm.to_type(ScalarType.Float64);
            double value = wide.item<double>();
            _sums[worker, slot] += value * value;
        });
    }

    /// <summary>The L2 norm of slot <paramref name="slot"/> from everything added this step.</summary>
    public double Norm(int slot)
    {
        double sum = 0;
        for (int w = 0; w < _sums.GetLength(0); w++)
        {
            sum += _sums[w, slot];
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Calls <paramref name="action"/>(slot, start within the piece, count) for each slot among
    /// [<paramref name="firstSlot"/>, <paramref name="endSlot"/>) that overlaps the bucket's elements
    /// [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>).
    /// </summary>
    public void ForEachOverlap(long offset, long length, int firstSlot, int endSlot, Action<int, long, long> action)
    {
        IReadOnlyList<Slot> slots = _bucket.Slots;
        long end = offset + length;
        // The last slot starting at or before the piece (slots are ordered by offset).
        int lo = firstSlot, hi = endSlot - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (slots[mid].Offset <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        for (int i = lo; i < endSlot && slots[i].Offset < end; i++)
        {
            long start = Math.Max(offset, slots[i].Offset);
            long stop = Math.Min(end, slots[i].Offset + slots[i].Numel);
            if (stop > start)
            {
                action(i, start - offset, stop - start);
            }
        }
    }
}
