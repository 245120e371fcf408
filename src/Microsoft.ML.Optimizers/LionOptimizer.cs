using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Lion: <c>p *= 1 - lr*wd; p -= lr * sign(beta1*m + (1-beta1)*g); m = beta2*m + (1-beta2)*g</c>. libtorch has no fused
/// Lion kernel, so every step runs the chunked in-place path (the base's default) (still a few large operations, not a loop over tensors).
/// </summary>
internal sealed class LionOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_expAvg = new(0, "exp_avg");
    private static readonly StateLayout s_layout = StateLayout.Of(s_expAvg);
    private readonly double _beta2;

    public LionOptimizer(LionOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _beta2 = options.Beta2;
    }

    // The update does not depend on per-tensor step counts: one run per stretch of tensors with gradients.
    private protected override NoRunKey RunOf(Slot slot) => default;

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double weightDecay = group.WeightDecay;
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        using Scalar decay = (1 - lr * weightDecay).ToScalar();
        using Scalar negLr = (-lr).ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar oneMinusB1 = (1 - beta1).ToScalar();
        using Scalar b2 = _beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - _beta2).ToScalar();
        ChunkExecutor.ForEach(bucket, segments, null, (segment, offset, length, worker) =>
        {
            // The reference implementation's operations (lucidrains/lion-pytorch):
            // p *= 1 - lr*wd; update = sign(m*beta1 + g*(1-beta1)); p += -lr*update; m = m*beta2 + g*(1-beta2).
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor m = expAvg.narrow(0, offset, length);
            if (Maximize)
            {
                g = bucket.Scratch(Workspace.Secondary, worker, length).copy_(g).neg_();
            }
            if (weightDecay != 0)
            {
                p.mul_(decay);
            }
            Tensor update = bucket.Scratch(Workspace.Primary, worker, length).copy_(m).mul_(b1).add_(g, oneMinusB1).sign_();
            p.add_(update, negLr);
            m.mul_(b2).add_(g, oneMinusB2);
        });
    }
}
