using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// The base of an algorithm over flat buffers. A new optimizer names its per-tensor state (<see cref="StateLayout"/>),
/// what tensors must share to be updated together (<typeparamref name="TRun"/>, e.g. Adam's step count), and its update
/// of a run of tensors (<see cref="UpdatePortable"/>, optionally a fused kernel); the base does the layout, the
/// skip-no-gradient rule, step counts, checkpoints, clipping and the chunked execution.
/// </summary>
/// <typeparam name="TRun">The per-tensor facts a run shares; <see cref="NoRunKey"/> when the update depends on none.</typeparam>
internal abstract class FlatOptimizer<TRun> : Optimizer where TRun : struct, IEquatable<TRun>
{
    /// <summary>
    /// libtorch's fused kernels round exactly like PyTorch's reference loop (fused multiply-adds, exact square root) in
    /// their vectorized loop, but not in the scalar loop that finishes a tensor whose length is not a multiple of the
    /// vector width. Fused calls therefore get whole multiples of this many elements (a multiple of every CPU vector
    /// width and cache-line unit they use), and the few remaining elements take the portable path.
    /// </summary>
    internal const long FusedAlignment = 64;

    private readonly List<Segment<TRun>> _segments = new();
    private readonly List<Segment<TRun>> _bodies = new();
    private readonly List<Segment<TRun>> _tails = new();
    private readonly Func<Slot, TRun> _runOf;

    private protected FlatOptimizer(OptimizerOptions options, IReadOnlyList<LiveParameterGroup> groups, StateLayout stateLayout)
        : base(options, groups, stateLayout)
    {
        _runOf = RunOf;
    }

    /// <summary>The per-tensor facts that decide which neighbouring tensors are updated together.</summary>
    private protected abstract TRun RunOf(Slot slot);

    /// <summary>Updates the segments of a bucket with libtorch's fused kernel (default: the portable path).</summary>
    private protected virtual void UpdateFused(FlatBucket bucket, LiveParameterGroup group, List<Segment<TRun>> segments) =>
        UpdatePortable(bucket, group, segments);

    /// <summary>Updates the segments of a bucket with in-place tensor operations, chunk by chunk (see <see cref="ChunkExecutor"/>).</summary>
    private protected abstract void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<TRun>> segments);

    private protected sealed override void UpdateBucket(FlatBucket bucket, LiveParameterGroup group)
    {
        bucket.BuildSegments(_runOf, _segments);
        if (!CanFuse(bucket))
        {
            UpdatePortable(bucket, group, _segments);
            return;
        }
        SplitForFusedKernel(_segments, _bodies, _tails);
        try
        {
            if (_bodies.Count > 0)
            {
                UpdateFused(bucket, group, _bodies);
            }
        }
        catch (ExternalException)
        {
            // The kernel exists but not for this device or type (libtorch rejects it before touching any data): use the
            // portable path from now on.
            UseFusedKernels = false;
            UpdatePortable(bucket, group, _bodies);
        }
        if (_tails.Count > 0)
        {
            UpdatePortable(bucket, group, _tails);
        }
    }

    private static void SplitForFusedKernel(List<Segment<TRun>> segments, List<Segment<TRun>> bodies, List<Segment<TRun>> tails)
    {
        bodies.Clear();
        tails.Clear();
        foreach (Segment<TRun> segment in segments)
        {
            long body = segment.Length - segment.Length % FusedAlignment;
            if (body > 0)
            {
                bodies.Add(segment with { Length = body });
            }
            if (body < segment.Length)
            {
                tails.Add(segment with { Offset = segment.Offset + body, Length = segment.Length - body });
            }
        }
    }
}
