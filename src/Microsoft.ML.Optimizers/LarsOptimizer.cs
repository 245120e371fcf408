using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// LARS over flat buffers, in the operation order of timm's <c>Lars.step</c>: per tensor, the trust ratio from two
/// float64-accumulated norms, then the SGD momentum update. Two passes over cache-sized pieces
/// (<see cref="ChunkExecutor"/>): the first gathers the per-tensor squares (<see cref="SlotSquares"/>), the second
/// scales the gradients and steps (the momentum step by libtorch's fused SGD kernel where it runs).
/// </summary>
internal sealed class LarsOptimizer : FlatOptimizer<LarsOptimizer.Run>
{
    private static readonly StateBuffer s_momentum = new(0, "momentum_buffer");
    private static readonly StateLayout s_layout = StateLayout.Of(s_momentum);
    private readonly LarsOptions _options;

    public LarsOptimizer(LarsOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (LarsOptions)options.Clone();
    }

    /// <summary>Tensors update together when their momentum buffers are both new (copied) or both running (blended).</summary>
    internal readonly record struct Run(bool HasMomentum);

    private protected override Run RunOf(Slot slot) => new(slot.HasState);

    // As PyTorch's SGD, the momentum buffer exists only with momentum.
    private protected override bool CreatesState(LiveParameterGroup group) => group.Momentum != 0;

    // Only the momentum step runs the kernel; without momentum every operation is portable.
    private protected override bool RunsFusedKernel(FlatBucket bucket, LiveParameterGroup group) =>
        group.Momentum != 0 && FusedSgd(bucket) is not null;

    private jit.CompilationUnit? FusedSgd(FlatBucket bucket) =>
        UseFusedKernels && FusedKernels.Supports(bucket.DType, bucket.Device) ? FusedKernels.Sgd : null;

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<Run>> segments)
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
        // With momentum, the buffer update and the step are libtorch's fused SGD kernel on the trust-scaled gradient
        // (weight decay 0: it is already in the gradient): one pass instead of three operations per piece.
        jit.CompilationUnit? fusedSgd = buffers is not null ? FusedSgd(bucket) : null;
        using Scalar zero = 0.0.ToScalar();
        using Scalar lrScalar = lr.ToScalar();
        using Scalar dampening = _options.Dampening.ToScalar();

        // Pass 1, piece by piece: the per-tensor squares of parameter and gradient (the sign of a maximized gradient
        // does not change its norm).
        var weightSquares = new SlotSquares(bucket);
        var gradSquares = new SlotSquares(bucket);
        if (adapt)
        {
            ChunkExecutor.ForEach(bucket, segments, workers => { weightSquares.Reset(workers); gradSquares.Reset(workers); }, (s, offset, length, worker) =>
            {
                weightSquares.Add(bucket.Params.narrow(0, offset, length), offset, segments[s].FirstSlot, segments[s].EndSlot, worker);
                gradSquares.Add(bucket.Grads.narrow(0, offset, length), offset, segments[s].FirstSlot, segments[s].EndSlot, worker);
            }, largePieces: true);
        }

        var trust = new Scalar?[bucket.Slots.Count];
        try
        {
            if (adapt)
            {
                foreach (Segment<Run> segment in segments)
                {
                    for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
                    {
                        double weightNorm = weightSquares.Norm(i);
                        double gradNorm = gradSquares.Norm(i);
                        double ratio = 1;
                        if (weightNorm > 0 && gradNorm > 0)
                        {
                            ratio = TensorNorms.InType(_options.TrustCoefficient * weightNorm / (gradNorm + weightNorm * wd + _options.Epsilon), bucket.DType);
                        }
                        if (_options.TrustClip)
                        {
                            ratio = Math.Min(TensorNorms.InType(ratio / lr, bucket.DType), 1);
                        }
                        trust[i] = ratio.ToScalar();
                    }
                }
            }

            // Pass 2: the trust-scaled gradient (in place, as timm), momentum, and the step.
            ChunkExecutor.ForEach(bucket, segments, null, (s, offset, length, worker) =>
            {
                Tensor p = bucket.Params.narrow(0, offset, length);
                Tensor g = bucket.Grads.narrow(0, offset, length);
                if (Maximize)
                {
                    g = bucket.Scratch(Workspace.Primary, worker, length).copy_(g).neg_();
                }
                if (adapt)
                {
                    g.add_(p, decay);
                    weightSquares.ForEachOverlap(offset, length, segments[s].FirstSlot, segments[s].EndSlot, (slot, start, count) =>
                    {
                        using Tensor part = g.narrow(0, start, count);
                        part.mul_(trust[slot]!);
                    });
                }
                if (fusedSgd is not null)
                {
                    fusedSgd.invoke("step", new[] { p }, new[] { g }, new[] { buffers!.narrow(0, offset, length) }, zero, mu, lrScalar,
                        dampening, _options.Nesterov, false, !segments[s].Run.HasMomentum);
                    return;
                }
                if (buffers is not null)
                {
                    Tensor buf = buffers.narrow(0, offset, length);
                    if (!segments[s].Run.HasMomentum)
                    {
                        buf.copy_(g);
                    }
                    else
                    {
                        buf.mul_(mu).add_(g, oneMinusDampening);
                    }
                    g = _options.Nesterov ? bucket.Scratch(Workspace.Secondary, worker, length).copy_(g).add_(buf, mu) : buf;
                }
                p.add_(g, negLr);
            }, largePieces: true);
        }
        finally
        {
            foreach (Scalar? scalar in trust)
            {
                scalar?.Dispose();
            }
        }
    }
}
