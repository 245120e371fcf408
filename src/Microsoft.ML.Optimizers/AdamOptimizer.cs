using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adam (coupled L2 weight decay) and AdamW (decoupled weight decay) with PyTorch's arithmetic. State per tensor:
/// exp_avg, exp_avg_sq (and max_exp_avg_sq with AMSGrad), and its own step count for the bias corrections.
/// </summary>
internal sealed class AdamOptimizer : Optimizer
{
    private static readonly string[] s_names = { "exp_avg", "exp_avg_sq" };
    private static readonly string[] s_namesAmsGrad = { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" };

    private readonly bool _decoupled;
    private readonly double _beta2;
    private readonly double _epsilon;
    private readonly bool _amsGrad;

    public AdamOptimizer(AdamFamilyOptions options, IReadOnlyList<ParameterGroup> groups, bool decoupledWeightDecay)
        : base(options, groups, options.AmsGrad ? s_namesAmsGrad : s_names)
    {
        _decoupled = decoupledWeightDecay;
        _beta2 = options.Beta2;
        _epsilon = options.Epsilon;
        _amsGrad = options.AmsGrad;
    }

    private protected override bool CanFuse(FlatBucket bucket) =>
        UseFusedKernels && FusedKernels.Supports(bucket.DType, bucket.Device) && FusedKernels.Adam(_decoupled) is not null;

    private protected override void UpdateFused(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
        double beta1 = Check.Beta(group.Momentum!.Value, "Beta1");
        int n = segments.Count;
        var parameters = new Tensor[n];
        var grads = new Tensor[n];
        var expAvgs = new Tensor[n];
        var expAvgSqs = new Tensor[n];
        var maxExpAvgSqs = new Tensor[_amsGrad ? n : 0];
        var steps = new Tensor[n];
        Tensor expAvg = bucket.EnsureState(0);
        Tensor expAvgSq = bucket.EnsureState(1);
        Tensor? maxExpAvgSq = _amsGrad ? bucket.EnsureState(2) : null;
        for (int i = 0; i < n; i++)
        {
            Segment segment = segments[i];
            parameters[i] = bucket.Slice(bucket.Params, segment);
            grads[i] = bucket.Slice(bucket.Grads, segment);
            expAvgs[i] = bucket.Slice(expAvg, segment);
            expAvgSqs[i] = bucket.Slice(expAvgSq, segment);
            if (maxExpAvgSq is not null)
            {
                maxExpAvgSqs[i] = bucket.Slice(maxExpAvgSq, segment);
            }
            // PyTorch increments the step before using it; the kernel reads it from a float32 tensor as PyTorch stores it.
            steps[i] = torch.tensor((float)(segment.Key + 1), ScalarType.Float32, bucket.Device);
        }
        using Scalar lr = group.LearningRate!.Value.ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar b2 = _beta2.ToScalar();
        using Scalar wd = group.WeightDecay!.Value.ToScalar();
        using Scalar eps = _epsilon.ToScalar();
        FusedKernels.Adam(_decoupled)!.invoke("step", parameters, grads, expAvgs, expAvgSqs, maxExpAvgSqs, steps,
            lr, b1, b2, wd, eps, _amsGrad, Maximize);
    }

    private protected override void UpdatePortable(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
        double lr = group.LearningRate!.Value;
        double weightDecay = group.WeightDecay!.Value;
        double beta1 = Check.Beta(group.Momentum!.Value, "Beta1");
        Tensor expAvg = bucket.EnsureState(0);
        Tensor expAvgSq = bucket.EnsureState(1);
        Tensor? maxExpAvgSq = _amsGrad ? bucket.EnsureState(2) : null;
        Tensor scratch1 = bucket.Scratch1(ChunkElements);
        Tensor scratch2 = bucket.Scratch2(ChunkElements);

        // The operations and their order reproduce libtorch's fused kernel (and PyTorch's single-tensor loop) so that
        // both paths round identically: decay, lerp for the first moment, mul + addcmul for the second, sqrt / bc2 + eps,
        // addcdiv with -step_size.
        using Scalar decay = (1 - lr * weightDecay).ToScalar();
        using Scalar wd = weightDecay.ToScalar();
        using Tensor lerpWeight = torch.tensor(1 - beta1, bucket.DType, bucket.Device);
        using Scalar b2 = _beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - _beta2).ToScalar();
        using Scalar eps = _epsilon.ToScalar();
        foreach (Segment segment in segments)
        {
            double step = segment.Key + 1;
            double biasCorrection1 = 1 - Math.Pow(beta1, step);
            double biasCorrection2 = 1 - Math.Pow(_beta2, step);
            using Scalar negStepSize = (-(lr / biasCorrection1)).ToScalar();
            using Scalar bc2Sqrt = Math.Sqrt(biasCorrection2).ToScalar();
            ForEachChunk(segment, (offset, length) =>
            {
                using var scope = torch.NewDisposeScope();
                Tensor p = bucket.Params.narrow(0, offset, length);
                Tensor g = bucket.Grads.narrow(0, offset, length);
                Tensor m = expAvg.narrow(0, offset, length);
                Tensor v = expAvgSq.narrow(0, offset, length);
                Tensor s1 = scratch1.narrow(0, 0, length);
                Tensor s2 = scratch2.narrow(0, 0, length);
                if (_decoupled && weightDecay != 0)
                {
                    p.mul_(decay);
                }
                Tensor grad = g;
                if (!_decoupled && weightDecay != 0)
                {
                    // (+/-g) + p*wd, the product rounded first as in the fused kernel.
                    s1.copy_(p).mul_(wd);
                    if (Maximize)
                    {
                        s1.sub_(g);
                    }
                    else
                    {
                        s1.add_(g);
                    }
                    grad = s1;
                }
                else if (Maximize)
                {
                    grad = s1.copy_(g).neg_();
                }
                m.lerp_(grad, lerpWeight);
                v.mul_(b2).addcmul_(grad, grad, oneMinusB2);
                Tensor second = v;
                if (maxExpAvgSq is not null)
                {
                    second = maxExpAvgSq.narrow(0, offset, length).clamp_(min: v);
                }
                s2.copy_(second).sqrt_().div_(bc2Sqrt).add_(eps);
                p.addcdiv_(m, s2, negStepSize);
            });
        }
    }
}
