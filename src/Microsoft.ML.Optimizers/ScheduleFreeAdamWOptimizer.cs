using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Schedule-Free AdamW over flat buffers, in the operation order of the reference's <c>step</c>, <c>eval</c> and
/// <c>train</c>. All its operations are element-wise with group-level coefficients, so a step is a dozen in-place
/// operations per cache-sized piece. Group-level state (k, the largest learning rate, the weight sum, the training
/// mode) lives in <see cref="Optimizer.GetGroupState"/>, so checkpoints carry it.
/// </summary>
/// <remarks>
/// The reference starts in evaluation mode and its <c>step</c> fails until <c>train()</c> is called; this one starts at
/// the training point (no tensor has a z yet, so both points coincide) and <see cref="Optimizer.Step"/> fails only after
/// <see cref="UseEvaluationPoint"/> without <see cref="UseTrainingPoint"/>.
/// </remarks>
internal sealed class ScheduleFreeAdamWOptimizer : FlatOptimizer<NoRunKey>
{
    private const string TrainMode = "train_mode";
    private static readonly StateBuffer s_z = new(0, "z");
    private static readonly StateBuffer s_expAvgSq = new(1, "exp_avg_sq");
    private static readonly StateBuffer s_expAvg = new(2, "exp_avg");
    private static readonly StateLayout s_layout = StateLayout.Of(s_z, s_expAvgSq, s_expAvg);
    private readonly ScheduleFreeAdamWOptions _options;
    private readonly double[] _scheduledLr;
    private readonly double[] _averageWeight;

    public ScheduleFreeAdamWOptimizer(ScheduleFreeAdamWOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (ScheduleFreeAdamWOptions)options.Clone();
        _scheduledLr = new double[groups.Count];
        _averageWeight = new double[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            GroupStateOf(g)[TrainMode] = 1;
        }
    }

    private bool InTrainingMode => GroupState(0, TrainMode, 1) != 0;

    private protected override NoRunKey RunOf(Slot slot) => default;

    public override void UseEvaluationPoint() => MoveTo(training: false);

    public override void UseTrainingPoint() => MoveTo(training: true);

    private protected override void PrepareStep()
    {
        if (!InTrainingMode)
        {
            throw new InvalidOperationException(
                $"Schedule-Free AdamW is at its evaluation point; call {nameof(UseTrainingPoint)}() before {nameof(Step)}().");
        }
        // The reference's per-group bookkeeping, done for every group on every step (with or without gradients).
        for (int g = 0; g < ParameterGroups.Count; g++)
        {
            long k = StepCount;
            double schedule = k < _options.WarmupSteps ? (k + 1) / (double)_options.WarmupSteps : 1.0;
            double lr = ParameterGroups[g].LearningRate * schedule;
            double lrMax = Math.Max(lr, GroupState(g, "lr_max", -1));
            double weight = Math.Pow(k + 1, _options.R) * Math.Pow(lrMax, _options.WeightLrPower);
            double weightSum = GroupState(g, "weight_sum", 0) + weight;
            SortedDictionary<string, double> state = GroupStateOf(g);
            state["k"] = k + 1;
            state["scheduled_lr"] = lr;
            state["lr_max"] = lrMax;
            state["weight_sum"] = weightSum;
            _scheduledLr[g] = lr;
            _averageWeight[g] = weightSum == 0 ? 0 : weight / weightSum;
        }
    }

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        int g = bucket.GroupIndex;
        double lr = _scheduledLr[g];
        double ckp1 = _averageWeight[g];
        double beta1 = Check.Beta(group.Momentum, "Beta1");
        double beta2 = _options.Beta2;
        double wd = group.WeightDecay;
        double mu = _options.InnerMomentum;
        long k = StepCount;
        Tensor z = bucket.EnsureState(s_z);
        Tensor expAvgSq = bucket.EnsureState(s_expAvgSq);
        Tensor? expAvg = mu != 0 ? bucket.EnsureState(s_expAvg) : null;

        // z starts as a copy of the parameter at the tensor's first gradient.
        foreach (Segment<NoRunKey> segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                Slot slot = bucket.Slots[i];
                if (!slot.HasState)
                {
                    using Tensor zSlot = z.narrow(0, slot.Offset, slot.Numel);
                    using Tensor pSlot = bucket.Params.narrow(0, slot.Offset, slot.Numel);
                    zSlot.copy_(pSlot);
                }
            }
        }

        using Scalar b2 = beta2.ToScalar();
        using Scalar oneMinusB2 = (1 - beta2).ToScalar();
        using Scalar biasCorrection2 = (1 - Math.Pow(beta2, k + 1)).ToScalar();
        using Scalar eps = _options.Epsilon.ToScalar();
        using Scalar muScalar = mu.ToScalar();
        using Scalar oneMinusMu = (1 - mu).ToScalar();
        using Scalar momentumCorrection = (1 - Math.Pow(mu, k + 1)).ToScalar();
        using Scalar decay = wd.ToScalar();
        using Scalar yStep = (lr * (beta1 * (1 - ckp1) - 1)).ToScalar();
        using Scalar negLr = (-lr).ToScalar();
        using var average = new Lerp(ckp1, bucket.DType, bucket.Device);
        ChunkExecutor.ForEach(bucket, segments, null, (segment, offset, length, worker) =>
        {
            Tensor p = bucket.Params.narrow(0, offset, length);
            Tensor grad = bucket.Grads.narrow(0, offset, length);
            Tensor zc = z.narrow(0, offset, length);
            Tensor v = expAvgSq.narrow(0, offset, length);
            Tensor denom = bucket.Scratch(Workspace.Primary, worker, length);
            Tensor normalized = bucket.Scratch(Workspace.Secondary, worker, length).copy_(grad);
            if (Maximize)
            {
                normalized.neg_();
            }
            v.mul_(b2).addcmul_(normalized, normalized, oneMinusB2);
            denom.copy_(v).div_(biasCorrection2).sqrt_().add_(eps, Scalars.One);
            if (expAvg is not null)
            {
                Tensor m = expAvg.narrow(0, offset, length);
                m.mul_(muScalar).add_(normalized, oneMinusMu);
                normalized.copy_(m).div_(momentumCorrection);
            }
            normalized.div_(denom);
            if (wd != 0)
            {
                normalized.add_(p, decay);
            }
            // y = lerp(y, z, ckp1); the denominator's scratch is free again.
            average.Apply(p, zc, denom);
            p.add_(normalized, yStep);
            zc.add_(normalized, negLr);
        });
    }

    /// <summary>Moves every tensor that has a z between y (training) and x (evaluation), as the reference's train()/eval().</summary>
    private void MoveTo(bool training)
    {
        ThrowIfDisposed();
        if (InTrainingMode == training)
        {
            return;
        }
        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (FlatBucket bucket in Buckets)
        {
            double beta1 = ParameterGroups[bucket.GroupIndex].Momentum;
            using var lerp = new Lerp(training ? 1 - beta1 : 1 - 1 / beta1, bucket.DType, bucket.Device);
            Tensor? z = bucket.State(s_z);
            if (z is null)
            {
                continue;
            }
            foreach (Slot slot in bucket.Slots)
            {
                if (slot.HasState)
                {
                    Tensor p = bucket.Params.narrow(0, slot.Offset, slot.Numel);
                    Tensor zSlot = z.narrow(0, slot.Offset, slot.Numel);
                    lerp.Apply(p, zSlot, torch.empty_like(p));
                }
            }
        }
        for (int g = 0; g < ParameterGroups.Count; g++)
        {
            GroupStateOf(g)[TrainMode] = training ? 1 : 0;
        }
    }
}
