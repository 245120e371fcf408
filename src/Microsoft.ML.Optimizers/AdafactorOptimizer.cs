using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adafactor in the operation order of <c>torch.optim.Adafactor</c>'s single-tensor path. The factored variances have
/// their own shapes (rows and columns of the last two dimensions), packed in shaped state buffers; every tensor needs
/// its own parameter and update norms, so the update is a handful of whole-tensor operations per tensor. Step counts
/// are per tensor and advance only with a gradient.
/// </summary>
internal sealed class AdafactorOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_rowVar = new(0, "row_var", shape => shape.Length >= 2 ? With(shape, shape.Length - 1) : null);
    private static readonly StateBuffer s_colVar = new(1, "col_var", shape => shape.Length >= 2 ? With(shape, shape.Length - 2) : null);
    private static readonly StateBuffer s_variance = new(2, "variance", shape => shape.Length < 2 ? shape : null);
    private static readonly StateLayout s_layout = StateLayout.Of(s_rowVar, s_colVar, s_variance);
    private readonly AdafactorOptions _options;

    // One tensor's worth of scratch, reused by every tensor and step: the update's temporaries are as large as the
    // largest parameter (the word embedding), and allocating them afresh each step costs page faults (glibc hands
    // allocations above 32 MB to mmap, whatever its tuning) that took longer than the arithmetic.
    private Tensor? _scratch;

    public AdafactorOptimizer(AdafactorOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (AdafactorOptions)options.Clone();
    }

    private Tensor Scratch(FlatBucket bucket, Slot slot)
    {
        if (_scratch is null || _scratch.shape[0] < slot.Numel || _scratch.dtype != bucket.DType)
        {
            _scratch?.Dispose();
            long largest = 0;
            foreach (FlatBucket b in Buckets)
            {
                foreach (Slot s in b.Slots)
                {
                    largest = Math.Max(largest, s.Numel);
                }
            }
            _scratch = torch.empty(largest, bucket.DType, bucket.Device).DetachFromDisposeScope();
        }
        using Tensor narrow = _scratch.narrow(0, 0, slot.Numel);
        return narrow.view(slot.Shape);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _scratch?.Dispose();
            _scratch = null;
        }
        base.Dispose(disposing);
    }

    private static long[] With(long[] shape, int reducedDim)
    {
        long[] result = (long[])shape.Clone();
        result[reducedDim] = 1;
        return result;
    }

    private protected override NoRunKey RunOf(Slot slot) => default;

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double wd = group.WeightDecay;
        double eps1 = _options.Epsilon1 ?? (bucket.DType == ScalarType.Float64 ? Math.Pow(2, -52) : bucket.DType == ScalarType.Float32 ? Math.Pow(2, -23) : 1.0 / 128);
        Tensor rowVars = bucket.EnsureState(s_rowVar);
        Tensor colVars = bucket.EnsureState(s_colVar);
        Tensor variances = bucket.EnsureState(s_variance);
        using Scalar decay = (1 - lr * wd).ToScalar();
        using Scalar eps1Scalar = eps1.ToScalar();
        using Scalar eps1Squared = (eps1 * eps1).ToScalar();
        foreach (Segment<NoRunKey> segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                Slot slot = bucket.Slots[i];
                using DisposeScope scope = torch.NewDisposeScope();
                Tensor p = bucket.SlotView(bucket.Params, slot);
                Tensor g = bucket.SlotView(bucket.Grads, slot);
                if (Maximize)
                {
                    g = g.neg();
                }
                double step = slot.Steps + 1;
                double oneMinusBeta2 = Math.Pow(step, _options.Beta2Decay);
                double rho = Math.Min(lr, 1 / Math.Sqrt(step));
                double alpha = Math.Max(_options.Epsilon2, TensorNorms.Norm(p) / Math.Sqrt(slot.Numel)) * rho;
                if (wd != 0)
                {
                    p.mul_(decay);
                }
                using var lerp = new Lerp(oneMinusBeta2, bucket.DType, bucket.Device);
                Tensor estimate = Scratch(bucket, slot);
                if (slot.Shape.Length >= 2)
                {
                    Tensor rowVar = bucket.StateView(rowVars, s_rowVar, i)!;
                    Tensor colVar = bucket.StateView(colVars, s_colVar, i)!;
                    using Scalar cols = slot.Shape[^1].ToScalar();
                    using Scalar rows = slot.Shape[^2].ToScalar();
                    // Sums of squares rather than the reference's norm(...).square_(): both means from one squared copy
                    // (a column norm is a slow strided reduction); equal up to rounding.
                    Tensor squares = estimate.copy_(g).mul_(g);
                    Tensor rowMean = squares.sum(-1, keepdim: true).div_(cols);
                    Tensor colMean = squares.sum(-2, keepdim: true).div_(rows);
                    lerp.Apply(rowVar, rowMean, torch.empty_like(rowVar));
                    lerp.Apply(colVar, colMean, torch.empty_like(colVar));
                    // The rank-one product row_var @ col_var as a broadcast copy and multiply (the same products).
                    estimate.copy_(rowVar).mul_(colVar);
                    estimate.div_(rowVar.mean(new long[] { -2 }, keepdim: true).clamp_min_(eps1Scalar));
                }
                else
                {
                    Tensor variance = bucket.StateView(variances, s_variance, i)!;
                    lerp.Apply(variance, estimate.copy_(g).mul_(g), torch.empty_like(variance));
                    estimate.copy_(variance);
                }
                Tensor update = estimate.clamp_min_(eps1Squared).rsqrt_().mul_(g);
                double denom = Math.Max(1.0, TensorNorms.Norm(update) / (Math.Sqrt(slot.Numel) * _options.ClipThreshold));
                using Scalar scaledStep = (-alpha / denom).ToScalar();
                p.add_(update, scaledStep);
            }
        }
    }
}
