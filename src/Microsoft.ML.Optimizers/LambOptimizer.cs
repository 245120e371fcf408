using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// LAMB over flat buffers, in the operation order of timm's <c>Lamb.step</c>. The trust ratio needs each tensor's
/// parameter and update norms before any tensor can step, so a step is two passes over cache-sized pieces
/// (<see cref="ChunkExecutor"/>): the first updates the moments and gathers the per-tensor squares
/// (<see cref="SlotSquares"/>), the second applies the update, rebuilt from the moments, scaled by the ratio. The step count is per group and advances on every
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
        // timm: the norm of the per-tensor norms of every gradient, over all groups, before any update, i.e. the norm of
        // all gradients together.
        (double norm, _, _) = GradientClipping.TotalNorm(Buckets, new List<Segment<NoRunKey>>?[Buckets.Count]);
        LastGradientNorm = norm;
        _clipDivisor = Math.Max(1.0, LastGradientNorm / maxNorm);
    }

    private protected override bool RunsFusedKernel(FlatBucket bucket, LiveParameterGroup group) => FusedAdam(bucket) is not null;

    /// <summary>libtorch's fused (L2) Adam kernel when it applies: timm's defaults, bias correction and gradient averaging.</summary>
    private jit.CompilationUnit? FusedAdam(FlatBucket bucket) =>
        UseFusedKernels && _options.BiasCorrection && _options.GradientAveraging && FusedKernels.Supports(bucket.DType, bucket.Device)
            ? FusedKernels.Adam(decoupled: false) : null;

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
        bool coupledDecay = wd != 0 && !_options.DecoupledDecay;
        Tensor expAvg = bucket.EnsureState(s_expAvg);
        Tensor expAvgSq = bucket.EnsureState(s_expAvgSq);
        // With timm's defaults (bias correction, gradient averaging) the moments and the Adam direction are exactly
        // libtorch's fused Adam kernel run on a zeroed scratch with lr -1: one pass instead of nine operations per piece.
        jit.CompilationUnit? fused = FusedAdam(bucket);
        using Tensor? fusedStep = fused is null ? null : torch.tensor((float)step, ScalarType.Float32, bucket.Device);
        using Scalar clip = TensorNorms.InType(_clipDivisor, bucket.DType).ToScalar();
        using Scalar b1 = beta1.ToScalar();
        using Scalar b3 = beta3.ToScalar();
        using Scalar b2 = beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - beta2).ToScalar();
        using Scalar sqrtBc2 = Math.Sqrt(bc2).ToScalar();
        using Scalar eps = _options.Epsilon.ToScalar();
        using Scalar scaledEps = (_options.Epsilon * Math.Sqrt(bc2)).ToScalar();
        using Scalar bc1Scalar = bc1.ToScalar();
        using Scalar decay = wd.ToScalar();
        using Scalar decoupled = (-lr * wd).ToScalar();
        using Scalar minusOne = (-1.0).ToScalar();
        using Scalar zero = 0.0.ToScalar();

        // Pass 1, piece by piece: moments, decoupled decay, and the per-tensor squares of parameter and update
        // (timm's update = (exp_avg / bias_correction1) / (sqrt(exp_avg_sq) / sqrt(bias_correction2) + eps) [+ wd * p]).
        var weightSquares = new SlotSquares(bucket);
        var updateSquares = new SlotSquares(bucket);
        ChunkExecutor.ForEach(bucket, segments, workers => { weightSquares.Reset(workers); updateSquares.Reset(workers); }, (s, offset, length, worker) =>
        {
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor g = bucket.Grads.narrow(0, offset, length);
            Tensor m = expAvg.narrow(0, offset, length);
            Tensor v = expAvgSq.narrow(0, offset, length);
            if (_clipDivisor != 1)
            {
                // In place, as timm (the gradient is left clipped).
                g.div_(clip);
            }
            Tensor update = bucket.Scratch(Workspace.Primary, worker, length);
            if (fused is not null)
            {
                update.fill_(zero);
                fused.invoke("step", new[] { update }, new[] { g }, new[] { m }, new[] { v }, Array.Empty<Tensor>(), new[] { fusedStep! },
                    minusOne, b1, b2, zero, eps, false, Maximize);
            }
            else
            {
                if (Maximize)
                {
                    g = update.copy_(g).neg_();
                }
                m.mul_(b1).add_(g, b3);
                v.mul_(b2).addcmul_(g, g, oneMinusB2);
                if (adapt)
                {
                    Tensor denom = bucket.Scratch(Workspace.Secondary, worker, length).copy_(v).sqrt_().div_(sqrtBc2).add_(eps, Scalars.One);
                    update.copy_(m).div_(bc1Scalar).div_(denom);
                }
            }
            if (wd != 0 && _options.DecoupledDecay)
            {
                p.add_(p, decoupled);
            }
            if (adapt)
            {
                if (coupledDecay)
                {
                    update.add_(p, decay);
                }
                weightSquares.Add(p, offset, segments[s].FirstSlot, segments[s].EndSlot, worker);
                updateSquares.Add(update, offset, segments[s].FirstSlot, segments[s].EndSlot, worker);
            }
        }, largePieces: true);

        // The trust ratios, in the tensor's type as timm computes them.
        var trust = new double[bucket.Slots.Count];
        Array.Fill(trust, 1.0);
        if (adapt)
        {
            foreach (Segment<NoRunKey> segment in segments)
            {
                for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
                {
                    double weightNorm = weightSquares.Norm(i);
                    double updateNorm = updateSquares.Norm(i);
                    double ratio = weightNorm > 0 && updateNorm > 0 ? TensorNorms.InType(weightNorm / updateNorm, bucket.DType) : 1;
                    trust[i] = _options.TrustClip ? Math.Min(ratio, 1) : ratio;
                }
            }
        }

        // Pass 2: p -= lr * trust * update, rewritten so the update needs no buffer of its own and is not rebuilt:
        // p = p * (1 - lr * trust * wd) - (lr * trust * sqrt(bc2) / bc1) * exp_avg / (sqrt(exp_avg_sq) + eps * sqrt(bc2))
        // (the same value as timm's to rounding; the coupled-decay factor only with coupled decay).
        var scales = new (Scalar Shrink, Scalar Step)[bucket.Slots.Count];
        try
        {
            foreach (Segment<NoRunKey> segment in segments)
            {
                for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
                {
                    double rate = lr * trust[i];
                    scales[i] = ((1 - rate * wd).ToScalar(), (-rate * Math.Sqrt(bc2) / bc1).ToScalar());
                }
            }
            ChunkExecutor.ForEach(bucket, segments, null, (s, offset, length, worker) =>
            {
                Tensor p = bucket.Params.narrow(0, offset, length);
                Tensor m = expAvg.narrow(0, offset, length);
                Tensor denom = bucket.Scratch(Workspace.Secondary, worker, length).copy_(expAvgSq.narrow(0, offset, length)).sqrt_().add_(scaledEps, Scalars.One);
                if (!adapt)
                {
                    // No trust ratios and no coupled decay (wd is 0): one step factor for the whole piece.
                    p.addcdiv_(m, denom, scales[segments[s].FirstSlot].Step);
                    return;
                }
                weightSquares.ForEachOverlap(offset, length, segments[s].FirstSlot, segments[s].EndSlot, (slot, start, count) =>
                {
                    using Tensor pPart = p.narrow(0, start, count);
                    using Tensor mPart = m.narrow(0, start, count);
                    using Tensor denomPart = denom.narrow(0, start, count);
                    if (coupledDecay)
                    {
                        pPart.mul_(scales[slot].Shrink);
                    }
                    pPart.addcdiv_(mPart, denomPart, scales[slot].Step);
                });
            }, largePieces: true);
        }
        finally
        {
            foreach ((Scalar shrink, Scalar stepScale) in scales)
            {
                shrink?.Dispose();
                stepScale?.Dispose();
            }
        }
    }
}
