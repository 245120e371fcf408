using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adan over flat buffers, in the operation order of timm's <c>_single_tensor_adan</c>. libtorch has no Adan kernel, so
/// each step runs a dozen in-place operations per cache-sized piece. The step count is per group and advances on every
/// <see cref="Optimizer.Step"/> call (timm's <c>group['step']</c>), which is <see cref="Optimizer.StepCount"/> + 1, so
/// all tensors of a bucket share their bias corrections and one run covers them.
/// </summary>
internal sealed class AdanOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_expAvg = new(0, "exp_avg");
    private static readonly StateBuffer s_expAvgSq = new(1, "exp_avg_sq");
    private static readonly StateBuffer s_expAvgDiff = new(2, "exp_avg_diff");
    private static readonly StateBuffer s_negPreGrad = new(3, "neg_pre_grad");
    private static readonly StateLayout s_layout = StateLayout.Of(s_expAvg, s_expAvgSq, s_expAvgDiff, s_negPreGrad);
    private readonly double _beta2;
    private readonly double _beta3;
    private readonly double _epsilon;
    private readonly bool _noProx;

    public AdanOptimizer(AdanOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _beta2 = options.Beta2;
        _beta3 = options.Beta3;
        _epsilon = options.Epsilon;
        _noProx = options.NoProx;
    }

    private protected override NoRunKey RunOf(Slot slot) => default;

    // timm's group['step'], visible through GetGroupState and kept by checkpoints.
    private protected override void PrepareStep()
    {
        for (int g = 0; g < ParameterGroups.Count; g++)
        {
            GroupStateOf(g)["step"] = StepCount + 1;
        }
    }

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double wd = group.WeightDecay;
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        long step = StepCount + 1;
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(_beta2, step);
        double biasCorrection3Sqrt = Math.Sqrt(1 - Math.Pow(_beta3, step));
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        Tensor expAvgSq = bucket.EnsureState(s_expAvgSq);
        Tensor expAvgDiff = bucket.EnsureState(s_expAvgDiff);
        Tensor negPreGrad = bucket.EnsureState(s_negPreGrad);

        // timm sets the previous gradient to the current one the first time a tensor has a gradient (and at group step
        // 1), so its first difference is zero. Per tensor: only tensors meeting their first gradient are touched.
        foreach (Segment<NoRunKey> segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                Slot slot = bucket.Slots[i];
                if (!slot.HasState || step == 1)
                {
                    // Clip to the segment: a fused/portable split may hand this path part of a tensor.
                    long start = Math.Max(slot.Offset, segment.Offset);
                    long end = Math.Min(slot.Offset + slot.Numel, segment.Offset + segment.Length);
                    if (end > start)
                    {
                        using Tensor previous = negPreGrad.narrow(0, start, end - start);
                        using Tensor grad = bucket.Grads.narrow(0, start, end - start);
                        previous.copy_(grad).neg_();
                        if (Maximize)
                        {
                            previous.neg_();
                        }
                    }
                }
            }
        }

        using Scalar b1 = beta1.ToScalar();
        using Scalar oneMinusB1 = (1 - beta1).ToScalar();
        using Scalar b2 = _beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - _beta2).ToScalar();
        using Scalar b3 = _beta3.ToScalar();
        using Scalar oneMinusB3 = (1 - _beta3).ToScalar();
        using Scalar bc3Sqrt = biasCorrection3Sqrt.ToScalar();
        using Scalar eps = _epsilon.ToScalar();
        using Scalar negStepSize = (-(lr / biasCorrection1)).ToScalar();
        using Scalar negStepSizeDiff = (-(lr * _beta2 / biasCorrection2)).ToScalar();
        using Scalar decay = (1 - lr * wd).ToScalar();
        using Scalar prox = (1 + lr * wd).ToScalar();
        using Scalar minusOne = (-1.0).ToScalar();
        ChunkExecutor.ForEach(bucket, segments, null, (segment, offset, length, worker) =>
        {
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor m = expAvg.narrow(0, offset, length);
            Tensor n = expAvgSq.narrow(0, offset, length);
            Tensor d = expAvgDiff.narrow(0, offset, length);
            Tensor diff = negPreGrad.narrow(0, offset, length);
            if (Maximize)
            {
                g = bucket.Scratch(Workspace.Secondary, worker, length).copy_(g).neg_();
            }
            // neg_pre_grad holds -g_prev; it becomes g - g_prev, then g + beta2 * (g - g_prev), then -g.
            diff.add_(g, Scalars.One);
            m.mul_(b1).add_(g, oneMinusB1);
            d.mul_(b2).add_(diff, oneMinusB2);
            diff.mul_(b2).add_(g, Scalars.One);
            n.mul_(b3).addcmul_(diff, diff, oneMinusB3);
            Tensor denom = bucket.Scratch(Workspace.Primary, worker, length).copy_(n).sqrt_().div_(bc3Sqrt).add_(eps, Scalars.One);
            if (_noProx && wd != 0)
            {
                p.mul_(decay);
            }
            p.addcdiv_(m, denom, negStepSize);
            p.addcdiv_(d, denom, negStepSizeDiff);
            if (!_noProx && wd != 0)
            {
                p.div_(prox);
            }
            diff.zero_().add_(g, minusOne);
        });
    }
}
