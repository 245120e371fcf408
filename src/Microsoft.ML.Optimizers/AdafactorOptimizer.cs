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

    public AdafactorOptimizer(AdafactorOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (AdafactorOptions)options.Clone();
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
                Tensor estimate;
                if (slot.Shape.Length >= 2)
                {
                    Tensor rowVar = bucket.StateView(rowVars, s_rowVar, i)!;
                    Tensor colVar = bucket.StateView(colVars, s_colVar, i)!;
                    using Scalar cols = slot.Shape[^1].ToScalar();
                    using Scalar rows = slot.Shape[^2].ToScalar();
                    // norm then mul, as the reference's norm(...).square_() (square() would pass a temporary Scalar).
                    Tensor rowNorm = g.norm(-1, keepdim: true);
                    Tensor rowMean = rowNorm.mul(rowNorm).div_(cols);
                    lerp.Apply(rowVar, rowMean, torch.empty_like(rowVar));
                    Tensor colNorm = g.norm(-2, keepdim: true);
                    Tensor colMean = colNorm.mul(colNorm).div_(rows);
                    lerp.Apply(colVar, colMean, torch.empty_like(colVar));
                    estimate = rowVar.matmul(colVar);
                    estimate.div_(rowVar.mean(new long[] { -2 }, keepdim: true).clamp_min_(eps1Scalar));
                }
                else
                {
                    Tensor variance = bucket.StateView(variances, s_variance, i)!;
                    Tensor squared = g.mul(g);
                    lerp.Apply(variance, squared, torch.empty_like(variance));
                    estimate = variance.clone();
                }
                Tensor update = estimate.clamp_min_(eps1Squared).rsqrt_().mul_(g);
                double denom = Math.Max(1.0, TensorNorms.Norm(update) / (Math.Sqrt(slot.Numel) * _options.ClipThreshold));
                using Scalar scaledStep = (-alpha / denom).ToScalar();
                p.add_(update, scaledStep);
            }
        }
    }
}
