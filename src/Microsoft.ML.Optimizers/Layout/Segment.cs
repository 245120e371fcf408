using System;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// A maximal run of consecutive slots of a bucket that all have a gradient and share the per-tensor facts the update
/// depends on (<typeparamref name="TRun"/>, e.g. Adam's step count), so that one kernel or one sequence of in-place
/// operations can update the whole run.
/// </summary>
/// <typeparam name="TRun">What the slots of a run share; each optimizer names its own (see <see cref="NoRunKey"/>).</typeparam>
internal readonly record struct Segment<TRun>(int FirstSlot, int EndSlot, long Offset, long Length, TRun Run)
    where TRun : struct, IEquatable<TRun>;

/// <summary>The run key of updates that depend on no per-tensor fact (Lion, norms): runs break only at missing gradients.</summary>
internal readonly record struct NoRunKey;
