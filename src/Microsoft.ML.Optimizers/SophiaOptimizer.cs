using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// SophiaG over flat buffers, in the operation order of the reference's <c>_single_tensor_sophiag</c>: element-wise
/// with group-level coefficients, so a step is a few in-place operations per cache-sized piece; the Hessian refresh is
/// one multiply and one <c>addcmul</c> per piece. libtorch has no Sophia kernel.
/// </summary>
internal sealed class SophiaOptimizer : FlatOptimizer<NoRunKey>, IHessianEstimating
{
    private static readonly StateBuffer s_expAvg = new(0, "exp_avg");
    private static readonly StateBuffer s_hessian = new(1, "hessian");
    private static readonly StateLayout s_layout = StateLayout.Of(s_expAvg, s_hessian);
    private static readonly Scalar s_tiny = 1e-15.ToScalar();
    private readonly SophiaOptions _options;
    private readonly List<Segment<NoRunKey>> _segments = new();

    public SophiaOptimizer(SophiaOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (SophiaOptions)options.Clone();
    }

    private protected override NoRunKey RunOf(Slot slot) => default;

    public void UpdateHessian()
    {
        ThrowIfDisposed();
        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using Scalar b2 = _options.Beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - _options.Beta2).ToScalar();
        foreach (FlatBucket bucket in Buckets)
        {
            if (bucket.GatherGrads() == 0)
            {
                continue;
            }
            Tensor hessian = bucket.EnsureState(s_hessian);
            bucket.EnsureState(s_expAvg);
            bucket.BuildSegments(RunOf, _segments);
            ChunkExecutor.ForEach(bucket, _segments, null, (segment, offset, length, worker) =>
            {
                Tensor g = bucket.Grads.narrow(0, offset, length);
                hessian.narrow(0, offset, length).mul_(b2).addcmul_(g, g, oneMinusB2);
            });
            // The reference creates a tensor's state here when it has none yet (its step count stays 0).
            foreach (Slot slot in bucket.Slots)
            {
                slot.HasState |= slot.HasGrad;
            }
        }
    }

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        Tensor hessian = bucket.EnsureState(s_hessian);
        using Scalar decay = (1 - lr * group.WeightDecay).ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar oneMinusB1 = (1 - beta1).ToScalar();
        using Scalar rhoBs = (_options.Rho * _options.BatchSize).ToScalar();
        using Scalar one = 1.0.ToScalar();
        using Scalar minusOne = (-1.0).ToScalar();
        using Scalar negLr = (-lr).ToScalar();
        ChunkExecutor.ForEach(bucket, segments, null, (segment, offset, length, worker) =>
        {
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor m = expAvg.narrow(0, offset, length);
            Tensor h = hessian.narrow(0, offset, length);
            if (Maximize)
            {
                g = bucket.Scratch(Workspace.Secondary, worker, length).copy_(g).neg_();
            }
            p.mul_(decay);
            m.mul_(b1).add_(g, oneMinusB1);
            Tensor denom = bucket.Scratch(Workspace.Primary, worker, length).copy_(h).mul_(rhoBs).add_(s_tiny, Scalars.One);
            // The reference's sign(m) · min(|m| / denom, 1) is clamp(m / denom, -1, 1) bit for bit (denom > 0, and a sign
            // flip is exact), so the step is one clamp and one add. The gradient is no longer needed: its scratch (or,
            // without maximize, a fresh one) takes the ratio.
            Tensor ratio = (Maximize ? g : bucket.Scratch(Workspace.Secondary, worker, length)).copy_(m).div_(denom).clamp_(minusOne, one);
            p.add_(ratio, negLr);
        });
    }
}
