using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Lion: <c>p *= 1 - lr*wd; p -= lr * sign(beta1*m + (1-beta1)*g); m = beta2*m + (1-beta2)*g</c>. libtorch has no fused
/// Lion kernel, so every step runs the chunked in-place path (still a few large operations, not a loop over tensors).
/// </summary>
internal sealed class LionOptimizer : Optimizer
{
    private static readonly string[] s_names = { "exp_avg" };
    private readonly double _beta2;

    public LionOptimizer(LionOptions options, IReadOnlyList<ParameterGroup> groups) : base(options, groups, s_names)
    {
        _beta2 = options.Beta2;
    }

    // The update does not depend on per-tensor step counts: one run per stretch of tensors with gradients.
    private protected override long SegmentKey(Slot slot) => 0;

    private protected override bool CanFuse(FlatBucket bucket) => false;

    private protected override void UpdateFused(FlatBucket bucket, ParameterGroup group, List<Segment> segments) =>
        UpdatePortable(bucket, group, segments);

    private protected override void UpdatePortable(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
        double lr = group.LearningRate!.Value;
        double weightDecay = group.WeightDecay!.Value;
        double beta1 = Check.Beta(group.Momentum!.Value, "Beta1");
        Tensor expAvg = bucket.EnsureState(0);
        using Scalar decay = (1 - lr * weightDecay).ToScalar();
        using Scalar negLr = (-lr).ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar oneMinusB1 = (1 - beta1).ToScalar();
        using Scalar b2 = _beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - _beta2).ToScalar();
        ForEachChunk(bucket, segments, null, (segment, offset, length, worker) =>
        {
            // The reference implementation's operations (lucidrains/lion-pytorch):
            // p *= 1 - lr*wd; update = sign(m*beta1 + g*(1-beta1)); p += -lr*update; m = m*beta2 + g*(1-beta2).
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor m = expAvg.narrow(0, offset, length);
            if (Maximize)
            {
                g = bucket.Workspace(1, worker, length).copy_(g).neg_();
            }
            if (weightDecay != 0)
            {
                p.mul_(decay);
            }
            Tensor update = bucket.Workspace(0, worker, length).copy_(m).mul_(b1).add_(g, oneMinusB1).sign_();
            p.add_(update, negLr);
            m.mul_(b2).add_(g, oneMinusB2);
        });
    }
}
