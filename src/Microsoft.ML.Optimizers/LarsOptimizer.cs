using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// LARS over flat buffers, in the operation order of timm's <c>Lars.step</c>: per tensor, the trust ratio from two
/// float64-accumulated norms, then the SGD momentum update on the tensor's slice of the flat buffers.
/// </summary>
internal sealed class LarsOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_momentum = new(0, "momentum_buffer");
    private static readonly StateLayout s_layout = StateLayout.Of(s_momentum);
    private readonly LarsOptions _options;

    public LarsOptimizer(LarsOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (LarsOptions)options.Clone();
    }

    private protected override NoRunKey RunOf(Slot slot) => default;

    // As PyTorch's SGD, the momentum buffer exists only with momentum.
    private protected override bool CreatesState(LiveParameterGroup group) => group.Momentum != 0;

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double wd = group.WeightDecay;
        double momentum = group.Momentum;
        bool adapt = wd != 0 || _options.AlwaysAdapt;
        Tensor? buffers = momentum != 0 ? bucket.EnsureState(s_momentum) : null;
        using Scalar decay = wd.ToScalar();
        using Scalar mu = momentum.ToScalar();
        using Scalar oneMinusDampening = (1 - _options.Dampening).ToScalar();
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
                if (adapt)
                {
                    double weightNorm = TensorNorms.Norm(p);
                    double gradNorm = TensorNorms.Norm(g);
                    double ratio = 1;
                    if (weightNorm > 0 && gradNorm > 0)
                    {
                        ratio = TensorNorms.InType(_options.TrustCoefficient * weightNorm / (gradNorm + weightNorm * wd + _options.Epsilon), bucket.DType);
                    }
                    if (_options.TrustClip)
                    {
                        ratio = Math.Min(TensorNorms.InType(ratio / lr, bucket.DType), 1);
                    }
                    using Scalar trust = ratio.ToScalar();
                    // In place on the gradient, as timm.
                    g.add_(p, decay).mul_(trust);
                }
                if (buffers is not null)
                {
                    Tensor buf = buffers.narrow(0, slot.Offset, slot.Numel);
                    if (!slot.HasState)
                    {
                        buf.copy_(g);
                    }
                    else
                    {
                        buf.mul_(mu).add_(g, oneMinusDampening);
                    }
                    g = _options.Nesterov ? g.add(buf, mu) : buf;
                }
                p.add_(g, negLr);
            }
        }
    }
}
