using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// LAMB over flat buffers, in the operation order of timm's <c>Lamb.step</c>. The moments live in flat buffers; the
/// trust ratio needs each tensor's norms, so the update is a few whole-tensor operations per tensor (one square and
/// one float64 sum per norm) rather than a per-element loop. The step count is per group and advances on every
/// <see cref="Optimizer.Step"/> call (timm's <c>group['step']</c>), i.e. <see cref="Optimizer.StepCount"/> + 1.
/// </summary>
internal sealed class LambOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_expAvg = new(0, "exp_avg");
    private static readonly StateBuffer s_expAvgSq = new(1, "exp_avg_sq");
    private static readonly StateLayout s_layout = StateLayout.Of(s_expAvg, s_expAvgSq);
    private readonly LambOptions _options;
    private double _clipDivisor = 1;

    public LambOptimizer(LambOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (LambOptions)options.Clone();
    }

    /// <summary>The global gradient norm of the last step, before clipping (NaN when clipping is off).</summary>
    internal double LastGradientNorm { get; private set; } = double.NaN;

    private protected override NoRunKey RunOf(Slot slot) => default;

    private protected override void PrepareStep()
    {
        for (int g = 0; g < ParameterGroups.Count; g++)
        {
            GroupStateOf(g)["step"] = StepCount + 1;
        }
        _clipDivisor = 1;
        if (_options.MaxGradNorm is not double maxNorm)
        {
            return;
        }
        // timm: the norm of the per-tensor norms of every gradient, over all groups, before any update.
        double sum = 0;
        foreach (FlatBucket bucket in Buckets)
        {
            bucket.GatherGrads();
            foreach (Slot slot in bucket.Slots)
            {
                if (slot.HasGrad)
                {
                    using Tensor g = bucket.Grads.narrow(0, slot.Offset, slot.Numel);
                    sum += TensorNorms.SquaredNorm(g);
                }
            }
        }
        LastGradientNorm = Math.Sqrt(sum);
        _clipDivisor = Math.Max(1.0, LastGradientNorm / maxNorm);
    }

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double wd = group.WeightDecay;
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        double beta2 = _options.Beta2;
        long step = StepCount + 1;
        double bc1 = _options.BiasCorrection ? 1 - Math.Pow(beta1, step) : 1;
        double bc2 = _options.BiasCorrection ? 1 - Math.Pow(beta2, step) : 1;
        double beta3 = _options.GradientAveraging ? 1 - beta1 : 1;
        bool adapt = wd != 0 || _options.AlwaysAdapt;
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        Tensor expAvgSq = bucket.EnsureState(s_expAvgSq);
        using Scalar clip = TensorNorms.InType(_clipDivisor, bucket.DType).ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar b3 = beta3.ToScalar();
        using Scalar b2 = beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - beta2).ToScalar();
        using Scalar sqrtBc2 = Math.Sqrt(bc2).ToScalar();
        using Scalar eps = _options.Epsilon.ToScalar();
        using Scalar bc1Scalar = bc1.ToScalar();
        using Scalar decay = wd.ToScalar();
        using Scalar decoupled = (-lr * wd).ToScalar();
        using Scalar negLr = (-lr).ToScalar();
        foreach (Segment<NoRunKey> segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                Slot slot = bucket.Slots[i];
                using DisposeScope scope = torch.NewDisposeScope();
                Tensor p = bucket.Params.narrow(0, slot.Offset, slot.Numel);
                Tensor g = bucket.Grads.narrow(0, slot.Offset, slot.Numel);
                if (Maximize)
                {
                    g = g.neg();
                }
                if (_clipDivisor != 1)
                {
                    // In place, as timm (the gradient is left clipped).
                    g.div_(clip);
                }
                Tensor m = expAvg.narrow(0, slot.Offset, slot.Numel);
                Tensor v = expAvgSq.narrow(0, slot.Offset, slot.Numel);
                m.mul_(b1).add_(g, b3);
                v.mul_(b2).addcmul_(g, g, oneMinusB2);
                Tensor denom = v.sqrt().div_(sqrtBc2).add_(eps, Scalars.One);
                Tensor update = m.div(bc1Scalar).div_(denom);
                if (wd != 0)
                {
                    if (_options.DecoupledDecay)
                    {
                        p.add_(p, decoupled);
                    }
                    else
                    {
                        update.add_(p, decay);
                    }
                }
                if (adapt)
                {
                    double weightNorm = TensorNorms.Norm(p);
                    double updateNorm = TensorNorms.Norm(update);
                    double ratio = weightNorm > 0 && updateNorm > 0 ? TensorNorms.InType(weightNorm / updateNorm, bucket.DType) : 1;
                    if (_options.TrustClip)
                    {
                        ratio = Math.Min(ratio, 1);
                    }
                    using Scalar trust = ratio.ToScalar();
                    update.mul_(trust);
                }
                p.add_(update, negLr);
            }
        }
    }
}
