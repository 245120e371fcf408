using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Muon over flat buffers, in the operation order of <c>torch.optim.Muon</c> (Newton–Schulz in the parameter's type
/// unless <see cref="MuonOptions.NewtonSchulzInBFloat16"/>); weights of more than two dimensions (convolution kernels)
/// are flattened to out × rest matrices, as in Keller Jordan's Muon. Matrices of the same shape are orthogonalized together:
/// their updates are stacked and each iteration is three batched matrix products, not a loop over tensors.
/// </summary>
internal sealed class MuonOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_momentum = new(0, "momentum_buffer");
    private static readonly StateLayout s_layout = StateLayout.Of(s_momentum);
    private readonly MuonOptions _options;

    public MuonOptimizer(MuonOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (MuonOptions)options.Clone();
    }

    private protected override NoRunKey RunOf(Slot slot) => default;

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double lr = group.LearningRate;
        double momentum = group.Momentum;
        Tensor buffers = bucket.EnsureState(s_momentum);
        using var average = new Lerp(1 - momentum, bucket.DType, bucket.Device);
        using var nesterov = new Lerp(momentum, bucket.DType, bucket.Device);
        using Scalar decay = (1 - lr * group.WeightDecay).ToScalar();

        var bySlotShape = new Dictionary<(long Rows, long Cols), List<(Slot Slot, Tensor Update)>>();
        foreach (Segment<NoRunKey> segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                Slot slot = bucket.Slots[i];
                Tensor g = bucket.SlotView(bucket.Grads, slot);
                if (Maximize)
                {
                    g = g.neg();
                }
                Tensor buf = bucket.SlotView(buffers, slot);
                average.Apply(buf, g, torch.empty_like(buf));
                Tensor update;
                if (_options.Nesterov)
                {
                    update = g.clone();
                    nesterov.Apply(update, buf, torch.empty_like(buf));
                }
                else
                {
                    update = buf.clone();
                }
                // A convolution kernel is orthogonalized as its out_channels × (in_channels · kernel) matrix (Keller Jordan's Muon).
                long rows = slot.Shape[0];
                var key = (rows, slot.Shape.Aggregate(1L, (a, b) => a * b) / rows);
                update = update.reshape(key.rows, key.Item2);
                if (!bySlotShape.TryGetValue(key, out var list))
                {
                    bySlotShape[key] = list = new List<(Slot, Tensor)>();
                }
                list.Add((slot, update));
            }
        }

        foreach (((long rows, long cols), List<(Slot Slot, Tensor Update)> members) in bySlotShape)
        {
            Tensor orthogonal = Orthogonalize(torch.stack(members.Select(m => m.Update)), rows > cols);
            double adjusted = _options.LearningRateAdjustment == MuonLearningRateAdjustment.Original
                ? lr * Math.Sqrt(Math.Max(1.0, rows / (double)cols))
                : lr * 0.2 * Math.Sqrt(Math.Max(rows, cols));
            using Scalar negAdjusted = (-adjusted).ToScalar();
            for (int k = 0; k < members.Count; k++)
            {
                Tensor p = bucket.SlotView(bucket.Params, members[k].Slot);
                p.mul_(decay);
                p.add_(orthogonal[k].to(bucket.DType).reshape(p.shape), negAdjusted);
            }
        }
    }

    /// <summary>torch's <c>_zeropower_via_newtonschulz</c> on a batch of equally shaped matrices.</summary>
    private Tensor Orthogonalize(Tensor updates, bool transpose)
    {
        Tensor x = _options.NewtonSchulzInBFloat16 ? updates.to(ScalarType.BFloat16) : updates;
        if (transpose)
        {
            x = x.transpose(1, 2);
        }
        using Scalar eps = _options.Epsilon.ToScalar();
        Tensor norms = x.mul(x).sum(new long[] { 1, 2 }, keepdim: true).sqrt_().clamp_min_(eps);
        x = x.div(norms);
        IReadOnlyList<double> abc = _options.NewtonSchulzCoefficients;
        using Scalar a = abc[0].ToScalar();
        using Scalar b = abc[1].ToScalar();
        using Scalar c = abc[2].ToScalar();
        // TorchSharp's baddbmm takes its coefficients as float32: exact for float32 and bfloat16 iterations (libtorch
        // rounds them to that precision anyway), not for float64, which scales and adds separately.
        bool fusedScaling = x.dtype != ScalarType.Float64;
        for (int step = 0; step < _options.NewtonSchulzSteps; step++)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            // A = X Xᵀ; B = b A + c A A; X = a X + B X.
            Tensor gram = x.bmm(x.transpose(1, 2));
            Tensor next;
            if (fusedScaling)
            {
                // The scaled sums inside the matrix product: no separate passes over A and X. TorchSharp 0.107's
                // t.baddbmm(u, v, beta, alpha) computes beta·v + alpha·(t @ u), whatever its parameter names say.
                Tensor polynomial = gram.baddbmm(gram, gram, beta: (float)abc[1], alpha: (float)abc[2]);
                next = polynomial.baddbmm(x, x, beta: (float)abc[0], alpha: 1);
            }
            else
            {
                Tensor polynomial = gram.bmm(gram).mul_(c).add_(gram, b);
                next = polynomial.bmm(x).add_(x, a);
            }
            x = next.MoveToOuterDisposeScope();
        }
        return transpose ? x.transpose(1, 2) : x;
    }
}
