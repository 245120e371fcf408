using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// SGD with PyTorch's semantics: maximize negates the gradient first, then coupled weight decay, then momentum
/// (the buffer starts as the first gradient, without dampening), optionally Nesterov. State: momentum_buffer.
/// </summary>
internal sealed class SgdOptimizer : Optimizer
{
    private static readonly string[] s_names = { "momentum_buffer" };
    private readonly double _dampening;
    private readonly bool _nesterov;
    private readonly List<Segment> _first = new();
    private readonly List<Segment> _later = new();

    public SgdOptimizer(SgdOptions options, IReadOnlyList<ParameterGroup> groups) : base(options, groups, s_names)
    {
        _dampening = options.Dampening;
        _nesterov = options.Nesterov;
    }

    // Tensors whose momentum buffer does not exist yet start it from the gradient: update them separately.
    private protected override long SegmentKey(Slot slot) => slot.HasMomentumBuffer ? 1 : 0;

    private protected override bool SlotHasState(Slot slot, int stateIndex) => slot.HasMomentumBuffer;

    // libtorch's CPU SGD kernel does not store the parameters in its vectorized loop for float16/bfloat16 (they stay
    // unchanged), so reduced-precision parameters take the portable path.
    private protected override bool CanFuse(FlatBucket bucket) =>
        UseFusedKernels && FusedKernels.Supports(bucket.DType, bucket.Device) && FusedKernels.Sgd is not null
        && (bucket.DType is ScalarType.Float32 or ScalarType.Float64 || bucket.Device.type != DeviceType.CPU);

    private protected override void UpdateFused(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
        double momentum = group.Momentum!.Value;
        using Scalar wd = group.WeightDecay!.Value.ToScalar();
        using Scalar mu = momentum.ToScalar();
        using Scalar lr = group.LearningRate!.Value.ToScalar();
        using Scalar dampening = _dampening.ToScalar();
        if (momentum == 0)
        {
            Run(segments, withBuffers: false, isFirstStep: false);
            return;
        }
        bucket.EnsureState(0);
        _first.Clear();
        _later.Clear();
        foreach (Segment segment in segments)
        {
            (segment.Key == 0 ? _first : _later).Add(segment);
        }
        Run(_first, withBuffers: true, isFirstStep: true);
        Run(_later, withBuffers: true, isFirstStep: false);

        void Run(List<Segment> list, bool withBuffers, bool isFirstStep)
        {
            if (list.Count == 0)
            {
                return;
            }
            Tensor[] parameters = list.Select(s => bucket.Slice(bucket.Params, s)).ToArray();
            Tensor[] grads = list.Select(s => bucket.Slice(bucket.Grads, s)).ToArray();
            Tensor[] buffers = withBuffers ? list.Select(s => bucket.Slice(bucket.State(0)!, s)).ToArray() : System.Array.Empty<Tensor>();
            FusedKernels.Sgd!.invoke("step", parameters, grads, buffers, wd, mu, lr, dampening, _nesterov, Maximize, isFirstStep);
        }
    }

    private protected override void UpdatePortable(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
        double momentum = group.Momentum!.Value;
        double weightDecay = group.WeightDecay!.Value;
        Tensor? buffer = momentum != 0 ? bucket.EnsureState(0) : null;
        using Scalar wd = weightDecay.ToScalar();
        using Scalar mu = momentum.ToScalar();
        using Scalar oneMinusDampening = (1 - _dampening).ToScalar();
        using Scalar negLr = (-group.LearningRate!.Value).ToScalar();
        ForEachChunk(bucket, segments, null, (segment, offset, length, worker) =>
        {
            // PyTorch's single-tensor SGD, operation by operation (add with alpha is a fused multiply-add).
            bool first = segments[segment].Key == 0;
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor s = bucket.Workspace(0, worker, length);
            Tensor d = g;
            if (Maximize)
            {
                d = s.copy_(g).neg_();
            }
            if (weightDecay != 0)
            {
                if (!Maximize)
                {
                    d = s.copy_(g);
                }
                d.add_(p, wd);
            }
            if (buffer is not null)
            {
                Tensor b = buffer.narrow(0, offset, length);
                if (first)
                {
                    b.copy_(d);
                }
                else
                {
                    b.mul_(mu).add_(d, oneMinusDampening);
                }
                if (_nesterov)
                {
                    if (ReferenceEquals(d, g))
                    {
                        d = s.copy_(g);
                    }
                    d.add_(b, mu);
                }
                else
                {
                    d = b;
                }
            }
            p.add_(d, negLr);
        });
    }

    private protected override void OnUpdated(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
        if (group.Momentum!.Value == 0)
        {
            return;
        }
        foreach (Segment segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                bucket.Slots[i].HasMomentumBuffer = true;
            }
        }
    }
}
