using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// SGD with PyTorch's semantics: maximize negates the gradient first, then coupled weight decay, then momentum
/// (the buffer starts as the first gradient, without dampening), optionally Nesterov. State: momentum_buffer.
/// </summary>
internal sealed class SgdOptimizer : FlatOptimizer<SgdOptimizer.Run>
{
    private static readonly StateBuffer s_momentumBuffer = new(0, "momentum_buffer");
    private static readonly StateLayout s_layout = StateLayout.Of(s_momentumBuffer);
    private readonly double _dampening;
    private readonly bool _nesterov;
    private readonly List<Segment<Run>> _first = new();
    private readonly List<Segment<Run>> _later = new();

    public SgdOptimizer(SgdOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _dampening = options.Dampening;
        _nesterov = options.Nesterov;
    }

    /// <summary>
    /// Tensors whose momentum buffer does not exist yet start it from the gradient (PyTorch's first step), so they are
    /// updated apart from those that have one.
    /// </summary>
    /// <param name="HasMomentumBuffer">Whether the tensors' momentum buffers exist.</param>
    internal readonly record struct Run(bool HasMomentumBuffer);

    private protected override Run RunOf(Slot slot) => new(slot.HasState);

    // Without momentum there is no buffer, as in PyTorch (momentum_buffer stays None).
    private protected override bool CreatesState(LiveParameterGroup group) => group.Momentum != 0;

    // libtorch's CPU SGD kernel does not store the parameters in its vectorized loop for float16/bfloat16 (they stay
    // unchanged), so reduced-precision parameters take the portable path.
    private protected override bool CanFuse(FlatBucket bucket) =>
        UseFusedKernels && FusedKernels.Supports(bucket.DType, bucket.Device) && FusedKernels.Sgd is not null
        && (bucket.DType is ScalarType.Float32 or ScalarType.Float64 || bucket.Device.type != DeviceType.CPU);

    private protected override void UpdateFused(FlatBucket bucket, LiveParameterGroup group, List<Segment<Run>> segments)
    {
        double momentum = group.Momentum;
        using Scalar wd = group.WeightDecay.ToScalar();
        using Scalar mu = momentum.ToScalar();
        using Scalar lr = group.LearningRate.ToScalar();
        using Scalar dampening = _dampening.ToScalar();
        if (momentum == 0)
        {
            Launch(segments, withBuffers: false, isFirstStep: false);
            return;
        }
        bucket.EnsureState(s_momentumBuffer);
        _first.Clear();
        _later.Clear();
        foreach (Segment<Run> segment in segments)
        {
            (segment.Run.HasMomentumBuffer ? _later : _first).Add(segment);
        }
        Launch(_first, withBuffers: true, isFirstStep: true);
        Launch(_later, withBuffers: true, isFirstStep: false);

        void Launch(List<Segment<Run>> list, bool withBuffers, bool isFirstStep)
        {
            if (list.Count == 0)
            {
                return;
            }
            Tensor[] parameters = list.Select(s => bucket.Slice(bucket.Params, s)).ToArray();
            Tensor[] grads = list.Select(s => bucket.Slice(bucket.Grads, s)).ToArray();
            Tensor[] buffers = withBuffers ? list.Select(s => bucket.Slice(bucket.State(s_momentumBuffer)!, s)).ToArray() : System.Array.Empty<Tensor>();
            FusedKernels.Sgd!.invoke("step", parameters, grads, buffers, wd, mu, lr, dampening, _nesterov, Maximize, isFirstStep);
        }
    }

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<Run>> segments)
    {
        double momentum = group.Momentum;
        double weightDecay = group.WeightDecay;
        Tensor? buffer = momentum != 0 ? bucket.EnsureState(s_momentumBuffer) : null;
        using Scalar wd = weightDecay.ToScalar();
        using Scalar mu = momentum.ToScalar();
        using Scalar oneMinusDampening = (1 - _dampening).ToScalar();
        using Scalar negLr = (-group.LearningRate).ToScalar();
        ChunkExecutor.ForEach(bucket, segments, null, (segment, offset, length, worker) =>
        {
            // PyTorch's single-tensor SGD, operation by operation (add with alpha is a fused multiply-add).
            bool first = !segments[segment].Run.HasMomentumBuffer;
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor s = bucket.Scratch(Workspace.Primary, worker, length);
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
}
