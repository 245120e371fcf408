using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adam (coupled L2 weight decay) and AdamW (decoupled weight decay) with PyTorch's arithmetic. State per tensor:
/// exp_avg, exp_avg_sq (and max_exp_avg_sq with AMSGrad), and its own step count for the bias corrections.
/// </summary>
internal sealed class AdamOptimizer : FlatOptimizer<AdamOptimizer.Run>
{
    private static readonly StateBuffer s_expAvg = new(0, "exp_avg");
    private static readonly StateBuffer s_expAvgSq = new(1, "exp_avg_sq");
    private static readonly StateBuffer s_maxExpAvgSq = new(2, "max_exp_avg_sq");
    private static readonly StateLayout s_layout = StateLayout.Of(s_expAvg, s_expAvgSq);
    private static readonly StateLayout s_layoutAmsGrad = StateLayout.Of(s_expAvg, s_expAvgSq, s_maxExpAvgSq);

    private readonly bool _decoupled;
    private readonly double _beta2;
    private readonly double _epsilon;
    private readonly bool _amsGrad;

    public AdamOptimizer(AdamFamilyOptions options, IReadOnlyList<LiveParameterGroup> groups, bool decoupledWeightDecay)
        : base(options, groups, options.AmsGrad ? s_layoutAmsGrad : s_layout)
    {
        _decoupled = decoupledWeightDecay;
        _beta2 = options.Beta2;
        _epsilon = options.Epsilon;
        _amsGrad = options.AmsGrad;
    }

    /// <summary>Tensors are updated together when they took the same number of steps (the bias corrections depend on it).</summary>
    /// <param name="StepsTaken">Steps the tensors took before this one.</param>
    internal readonly record struct Run(long StepsTaken);

    private protected override Run RunOf(Slot slot) => new(slot.Steps);

    private protected override bool CanFuse(FlatBucket bucket) =>
        UseFusedKernels && FusedKernels.Supports(bucket.DType, bucket.Device) && FusedKernels.Adam(_decoupled) is not null;

    private protected override void UpdateFused(FlatBucket bucket, LiveParameterGroup group, List<Segment<Run>> segments)
    {
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        int n = segments.Count;
        var parameters = new Tensor[n];
        var grads = new Tensor[n];
        var expAvgs = new Tensor[n];
        var expAvgSqs = new Tensor[n];
        var maxExpAvgSqs = new Tensor[_amsGrad ? n : 0];
        var steps = new Tensor[n];
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        Tensor expAvgSq = bucket.EnsureState(s_expAvgSq);
        Tensor? maxExpAvgSq = _amsGrad ? bucket.EnsureState(s_maxExpAvgSq) : null;
        for (int i = 0; i < n; i++)
        {
            Segment<Run> segment = segments[i];
            parameters[i] = bucket.Slice(bucket.Params, segment);
            grads[i] = bucket.Slice(bucket.Grads, segment);
            expAvgs[i] = bucket.Slice(expAvg, segment);
            expAvgSqs[i] = bucket.Slice(expAvgSq, segment);
            if (maxExpAvgSq is not null)
            {
                maxExpAvgSqs[i] = bucket.Slice(maxExpAvgSq, segment);
            }
            // PyTorch increments the step before using it; the kernel reads it from a float32 tensor as PyTorch stores it.
            steps[i] = torch.tensor((float)(segment.Run.StepsTaken + 1), ScalarType.Float32, bucket.Device);
        }
        using Scalar lr = group.LearningRate.ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar b2 = _beta2.ToScalar();
        using Scalar wd = group.WeightDecay.ToScalar();
        using Scalar eps = _epsilon.ToScalar();
        FusedKernels.Adam(_decoupled)!.invoke("step", parameters, grads, expAvgs, expAvgSqs, maxExpAvgSqs, steps,
            lr, b1, b2, wd, eps, _amsGrad, Maximize);
    }

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<Run>> segments)
    {
        double lr = group.LearningRate;
        double weightDecay = group.WeightDecay;
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        Tensor expAvgSq = bucket.EnsureState(s_expAvgSq);
        Tensor? maxExpAvgSq = _amsGrad ? bucket.EnsureState(s_maxExpAvgSq) : null;

        // PyTorch's single-tensor Adam, operation by operation, so that rounding matches it (see Lerp for the one
        // rewritten operation). Scalars are made once per call (TorchSharp's Scalar is only finalized otherwise) and
        // only read by the workers.
        using Scalar decay = (1 - lr * weightDecay).ToScalar();
        using Scalar wd = weightDecay.ToScalar();
        using Scalar b2 = _beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - _beta2).ToScalar();
        using Scalar eps = _epsilon.ToScalar();
        using var lerp = new Lerp(1 - beta1, bucket.DType, bucket.Device);
        var negStepSizes = new Scalar[segments.Count];
        var bc2Sqrts = new Scalar[segments.Count];
        try
        {
            for (int i = 0; i < segments.Count; i++)
            {
                double step = segments[i].Run.StepsTaken + 1;
                double biasCorrection1 = 1 - Math.Pow(beta1, step);
                double biasCorrection2 = 1 - Math.Pow(_beta2, step);
                negStepSizes[i] = (-(lr / biasCorrection1)).ToScalar();
                bc2Sqrts[i] = Math.Sqrt(biasCorrection2).ToScalar();
            }
            ChunkExecutor.ForEach(bucket, segments, null, (segment, offset, length, worker) =>
            {
                Tensor p = bucket.Params.narrow(0, offset, length);
                Tensor g = bucket.Grads.narrow(0, offset, length);
                Tensor m = expAvg.narrow(0, offset, length);
                Tensor v = expAvgSq.narrow(0, offset, length);
                Tensor s1 = bucket.Scratch(Workspace.Primary, worker, length);
                Tensor s2 = bucket.Scratch(Workspace.Secondary, worker, length);
                // grad = -grad if maximize; grad = grad.add(param, alpha=wd) for Adam; param.mul_(1 - lr*wd) for AdamW.
                Tensor grad = g;
                if (Maximize)
                {
                    grad = s1.copy_(g).neg_();
                }
                if (weightDecay != 0)
                {
                    if (_decoupled)
                    {
                        p.mul_(decay);
                    }
                    else
                    {
                        if (!Maximize)
                        {
                            grad = s1.copy_(g);
                        }
                        grad.add_(p, wd);
                    }
                }
                lerp.Apply(m, grad, s2);
                v.mul_(b2).addcmul_(grad, grad, oneMinusB2);
                Tensor second = v;
                if (maxExpAvgSq is not null)
                {
                    second = maxExpAvgSq.narrow(0, offset, length).clamp_(min: v);
                }
                // denom = sqrt(v) / sqrt(bias_correction2) + eps. libtorch's CPU sqrt (MKL) is not correctly rounded in
                // float32 (about 15% of values are 1 ulp off); PyTorch's reference results and the fused kernel are. A
                // float64 square root (even 1 ulp off) rounded to float32 is always correctly rounded: the exact root of
                // a float32 lies at least 2^-51 (relative) away from any float32 rounding midpoint.
                if (bucket.DType == ScalarType.Float32)
                {
                    s2.copy_(bucket.Scratch(Workspace.Float64, worker, length).copy_(second).sqrt_());
                }
                else
                {
                    s2.copy_(second).sqrt_();
                }
                s2.div_(bc2Sqrts[segment]).add_(eps, Scalars.One);
                // param += -step_size * exp_avg / denom
                p.addcdiv_(m, s2, negStepSizes[segment]);
            });
        }
        finally
        {
            foreach (Scalar? scalar in negStepSizes.Concat(bc2Sqrts))
            {
                scalar?.Dispose();
            }
        }
    }
}
