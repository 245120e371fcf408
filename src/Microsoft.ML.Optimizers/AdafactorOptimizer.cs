using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adafactor with the semantics of <c>torch.optim.Adafactor</c>'s single-tensor path, run on batches of equally shaped
/// tensors. Tensors of one shape whose offsets in the parameter, gradient and state buffers advance by equal strides
/// (a layer repeated: BERT's 12 blocks, the blocks of a ResNet stage) are one strided <c>[k, ...]</c> view of the flat
/// buffers, so each operation of the update (per-tensor norms, row and column means, the step) runs once per batch
/// rather than once per tensor. The full variance estimate is never formed: its inverse square root is the outer
/// product of a row factor and a column factor, and the update's norm follows from the squared gradient by a
/// matrix-vector product. Vectors (biases, norms: small, of many lengths) are gathered into one buffer and updated
/// together, their norms summed per tensor by index. Step counts are per tensor and advance only with a gradient.
/// </summary>
internal sealed class AdafactorOptimizer : FlatOptimizer<NoRunKey>
{
    private static readonly StateBuffer s_rowVar = new(0, "row_var", shape => shape.Length >= 2 ? With(shape, shape.Length - 1) : null);
    private static readonly StateBuffer s_colVar = new(1, "col_var", shape => shape.Length >= 2 ? With(shape, shape.Length - 2) : null);
    private static readonly StateBuffer s_variance = new(2, "variance", shape => shape.Length < 2 ? shape : null);
    private static readonly StateLayout s_layout = StateLayout.Of(s_rowVar, s_colVar, s_variance);

    /// <summary>
    /// The most bytes a batch's full-size temporaries (the squared gradient, then the scaled update factor) take. Below
    /// glibc's largest mmap threshold (32 MB), freed temporaries are reused heap memory at the next batch and step
    /// instead of fresh pages, whose page faults cost more than the arithmetic. A larger tensor is a batch of its own.
    /// </summary>
    private const long BatchBytes = 16L << 20;

    /// <summary>Below this many columns a batched matrix-vector product is mostly per-matrix overhead; elementwise instead.</summary>
    private const long MatrixVectorColumns = 16;

    /// <summary>Up to this many elements, a reduction over a dimension is done as strided adds (see <see cref="Sum"/>).</summary>
    private const long SmallDimension = 8;

    private readonly AdafactorOptions _options;
    private readonly Dictionary<FlatBucket, Plan> _plans = new();

    public AdafactorOptimizer(AdafactorOptions options, IReadOnlyList<LiveParameterGroup> groups) : base(options, groups, s_layout)
    {
        _options = (AdafactorOptions)options.Clone();
    }

    private static long[] With(long[] shape, int reducedDim)
    {
        long[] result = (long[])shape.Clone();
        result[reducedDim] = 1;
        return result;
    }

    private protected override NoRunKey RunOf(Slot slot) => default;

    private protected override void UpdatePortable(FlatBucket bucket, LiveParameterGroup group, List<Segment<NoRunKey>> segments)
    {
        double eps1 = _options.Epsilon1 ?? (bucket.DType == ScalarType.Float64 ? Math.Pow(2, -52) : bucket.DType == ScalarType.Float32 ? Math.Pow(2, -23) : 1.0 / 128);
        var context = new StepContext(
            bucket, group.LearningRate, group.WeightDecay, eps1,
            bucket.EnsureState(s_rowVar), bucket.EnsureState(s_colVar), bucket.EnsureState(s_variance));
        long elementBytes = bucket.Params.element_size();
        Plan plan = PlanOf(bucket, segments);
        foreach (Chain chain in plan.Chains)
        {
            int perBatch = (int)Math.Clamp(BatchBytes / (chain.Numel * elementBytes), 1, int.MaxValue);
            int start = 0;
            while (start < chain.Slots.Length)
            {
                // Tensors of a batch share one step count (the decay and step size are scalars); they differ only after
                // some tensors went without a gradient, which splits a chain into runs.
                long steps = bucket.Slots[chain.Slots[start]].Steps;
                int count = 1;
                while (start + count < chain.Slots.Length && count < perBatch && bucket.Slots[chain.Slots[start + count]].Steps == steps)
                {
                    count++;
                }
                using (DisposeScope scope = torch.NewDisposeScope())
                {
                    UpdateFactored(context, new Batch(chain, start, count, steps + 1));
                }
                start += count;
            }
        }
        // Vectors that missed a gradient are behind in steps: one gathering per step count (normally one in all).
        foreach (IGrouping<long, int> sameSteps in plan.Vectors.GroupBy(i => bucket.Slots[i].Steps))
        {
            using DisposeScope scope = torch.NewDisposeScope();
            UpdateVectors(context, VectorSet.Of(bucket, sameSteps.ToArray()), sameSteps.Key + 1);
        }
    }

    /// <summary>A batch of tensors of two or more dimensions, each seen as <c>[m, rows, cols]</c>.</summary>
    private void UpdateFactored(StepContext context, Batch batch)
    {
        (long m, long r, long c) = (batch.Chain.Shape[0], batch.Chain.Shape[1], batch.Chain.Shape[2]);
        Tensor p = batch.View(context.Bucket.Params, part: 0, batch.Chain.Shape);
        Tensor g = batch.View(context.Bucket.Grads, part: 0, batch.Chain.Shape);
        Tensor rowVar = batch.View(context.RowVars, part: 1, new[] { m, r, 1 });
        Tensor colVar = batch.View(context.ColVars, part: 2, new[] { m, 1, c });
        long[] perTensor = { 1, 2, 3 };

        // The step size scales with the parameter's RMS before weight decay.
        Tensor paramNorms = PerTensorNorms(p);
        context.Decay(p);
        using var lerp = new Lerp(DecayWeight(batch.Step), context.Bucket.DType, context.Bucket.Device);
        // Sums of squares rather than the reference's norm(...).square_(): both means from one squared copy (a column
        // norm is a slow strided reduction); equal up to rounding.
        Tensor squares = g.mul(g);
        using (Scalar cols = c.ToScalar())
        {
            lerp.ApplyConsumingEnd(rowVar, Sum(squares, 3).div_(cols));
        }
        using (Scalar rows = r.ToScalar())
        {
            lerp.ApplyConsumingEnd(colVar, Sum(squares, 2).div_(rows));
        }

        // V = row_var col_var / max(mean of row_var, eps1) is the outer product of rowScale and col_var, so 1/√V is the
        // outer product of their inverse square roots; the reference's floor V >= eps1² becomes 1/√V <= 1/eps1.
        using Scalar eps1 = context.Eps1.ToScalar();
        using Scalar ceiling = (1 / context.Eps1).ToScalar();
        using Scalar rowCount = r.ToScalar();
        Tensor rowScale = rowVar.div(Sum(rowVar, 2).div_(rowCount).clamp_min_(eps1));
        Tensor rowFactor = rowScale.rsqrt();
        Tensor colFactor = colVar.rsqrt();
        // The floor binds only where a row or column variance is (almost) zero, e.g. an all-zero row: checked on the
        // small factors, and only then is the update formed elementwise.
        bool floored = Max(rowFactor, 2).mul_(Max(colFactor, 3)).gt(ceiling).any().item<bool>();
        if (floored)
        {
            Tensor update = Outer(rowFactor, colFactor, squares).clamp_max_(ceiling).mul_(g);
            double[] updateNorms = Doubles(PerTensorNorms(update));
            Tensor scale = batch.Broadcast(Coefficients(context, batch.Step, batch.Numels, Doubles(paramNorms), updateNorms), context.Bucket);
            p.addcmul_(update, scale, Scalars.One);
            return;
        }

        // ‖U‖² = Σ_i (1/rowScale_i) Σ_j g_ij² / col_var_j: a matrix-vector product of the squares, not a pass over U.
        Tensor colInverse = colVar.reciprocal();
        Tensor rowSums = c >= MatrixVectorColumns
            ? squares.view(-1, r, c).bmm(colInverse.view(-1, c, 1)).view(batch.Count, m, r, 1)
            : Sum(squares.mul_(colInverse), 3);
        Tensor updateSquares = rowSums.div_(rowScale).sum(perTensor);
        double[] norms = Doubles(updateSquares).Select(Math.Sqrt).ToArray();
        Tensor coefficients = batch.Broadcast(Coefficients(context, batch.Step, batch.Numels, Doubles(paramNorms), norms), context.Bucket);
        // The step's coefficient goes on the small row factor, so the full-size work is one outer product and one addcmul.
        Tensor factor = Outer(rowFactor.mul_(coefficients), colFactor, squares);
        p.addcmul_(g, factor, Scalars.One);
    }

    /// <summary>
    /// The sum over dimension <paramref name="dim"/> (kept, as size 1) as a new tensor. Over a few elements (a
    /// convolution kernel's kh or kw) it is that many strided adds: libtorch's reduction over a dimension of 1 or 3
    /// elements costs far more per output than an elementwise pass, and ResNet kernels have millions of such outputs.
    /// </summary>
    private static Tensor Sum(Tensor x, int dim)
    {
        long size = x.shape[dim];
        if (size > SmallDimension)
        {
            return x.sum(dim, keepdim: true);
        }
        Tensor sum = x.narrow(dim, 0, 1).clone();
        for (long j = 1; j < size; j++)
        {
            using Tensor slice = x.narrow(dim, j, 1);
            sum.add_(slice, Scalars.One);
        }
        return sum;
    }

    /// <summary>The largest value over dimension <paramref name="dim"/> (kept), as a new tensor; see <see cref="Sum"/>.</summary>
    private static Tensor Max(Tensor x, int dim)
    {
        long size = x.shape[dim];
        if (size > SmallDimension)
        {
            return x.amax(new long[] { dim }, keepdim: true);
        }
        Tensor max = x.narrow(dim, 0, 1).clone();
        for (long j = 1; j < size; j++)
        {
            using Tensor slice = x.narrow(dim, j, 1);
            max = torch.maximum(max, slice);
        }
        return max;
    }

    /// <summary>
    /// The outer product of a row and a column factor. Within <see cref="BatchBytes"/> it is a new tensor: the squares
    /// are freed first, so the allocator hands their memory back. A larger (single) tensor's squares are overwritten
    /// instead: one more pass, but a fresh allocation that size would be fresh pages, faulted in one by one.
    /// </summary>
    private static Tensor Outer(Tensor rows, Tensor cols, Tensor squares)
    {
        if (squares.numel() * squares.element_size() > BatchBytes)
        {
            return squares.copy_(rows).mul_(cols);
        }
        squares.Dispose();
        return rows.mul(cols);
    }

    /// <summary>
    /// Vectors (and scalars), with a full variance as the reference keeps for them: gathered from the flat buffers into
    /// one buffer, updated together, scattered back.
    /// </summary>
    private void UpdateVectors(StepContext context, VectorSet vectors, long step)
    {
        FlatBucket bucket = context.Bucket;
        Tensor p = bucket.Params.index_select(0, vectors.Positions);
        Tensor g = bucket.Grads.index_select(0, vectors.Positions);
        Tensor variance = context.Variances.index_select(0, vectors.VariancePositions);
        int count = vectors.Slots.Length;

        Tensor paramSquares = torch.zeros(count, bucket.DType, bucket.Device).index_add_(0, vectors.Owners, p.mul(p), Scalars.One);
        context.Decay(p);
        using (var lerp = new Lerp(DecayWeight(step), bucket.DType, bucket.Device))
        {
            lerp.ApplyConsumingEnd(variance, g.mul(g));
        }
        context.Variances.index_copy_(0, vectors.VariancePositions, variance);
        using Scalar floor = (context.Eps1 * context.Eps1).ToScalar();
        Tensor update = variance.clamp_min(floor).rsqrt_().mul_(g);
        Tensor updateSquares = torch.zeros(count, bucket.DType, bucket.Device).index_add_(0, vectors.Owners, update.mul(update), Scalars.One);
        double[] paramNorms = Doubles(paramSquares).Select(Math.Sqrt).ToArray();
        double[] updateNorms = Doubles(updateSquares).Select(Math.Sqrt).ToArray();
        Tensor scale = InBucketType(Coefficients(context, step, vectors.Numels, paramNorms, updateNorms), bucket).index_select(0, vectors.Owners);
        p.addcmul_(update, scale, Scalars.One);
        bucket.Params.index_copy_(0, vectors.Positions, p);
    }

    /// <summary>
    /// Each tensor's step coefficient −α / max(1, RMS(U) / d) (sign flipped with maximize, which negates g and hence U),
    /// computed in float64 from the norms as the reference does from its <c>.item()</c> values.
    /// </summary>
    private double[] Coefficients(StepContext context, long step, IReadOnlyList<long> numels, double[] paramNorms, double[] updateNorms)
    {
        double rho = Math.Min(context.LearningRate, 1 / Math.Sqrt(step));
        var coefficients = new double[paramNorms.Length];
        for (int k = 0; k < coefficients.Length; k++)
        {
            double root = Math.Sqrt(numels[k]);
            double alpha = Math.Max(_options.Epsilon2, paramNorms[k] / root) * rho;
            double denominator = Math.Max(1.0, updateNorms[k] / (root * _options.ClipThreshold));
            coefficients[k] = (Maximize ? alpha : -alpha) / denominator;
        }
        return coefficients;
    }

    /// <summary>
    /// The L2 norm of each tensor of a batch <c>[k, ...]</c> (each tensor contiguous, so it views as a row): one reduction
    /// along a dimension, whose order reaches libtorch as a float, where <c>linalg.vector_norm</c> would hand it a temporary
    /// Scalar that nothing keeps alive.
    /// </summary>
    private static Tensor PerTensorNorms(Tensor batch)
    {
        using Tensor rows = batch.view(batch.shape[0], -1);
        return rows.norm(1, keepdim: false, p: 2f);
    }

    /// <summary>The weight of the new squares in the variance average: step^beta2_decay (1 at the first step).</summary>
    private double DecayWeight(long step) => Math.Pow(step, _options.Beta2Decay);

    /// <summary>Per-tensor values (computed in float64, as the reference's) as a tensor of the bucket's type and device.</summary>
    private static Tensor InBucketType(double[] values, FlatBucket bucket)
    {
        using Tensor wide = torch.tensor(values, ScalarType.Float64);
        return wide.to(bucket.DType, bucket.Device);
    }

    private static double[] Doubles(Tensor t)
    {
        using Tensor wide = t.to(ScalarType.Float64, torch.CPU);
        return wide.data<double>().ToArray();
    }

    /// <summary>The batching plan for the slots that have a gradient, kept while that set of slots stays the same.</summary>
    private Plan PlanOf(FlatBucket bucket, List<Segment<NoRunKey>> segments)
    {
        var included = new List<int>();
        foreach (Segment<NoRunKey> segment in segments)
        {
            for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
            {
                // An empty tensor has nothing to update (and no RMS).
                if (bucket.Slots[i].Numel > 0)
                {
                    included.Add(i);
                }
            }
        }
        if (_plans.TryGetValue(bucket, out Plan? plan) && plan.Slots.SequenceEqual(included))
        {
            return plan;
        }
        List<int> matrices = included.Where(i => bucket.Slots[i].Shape.Length >= 2).ToList();
        int[] vectors = included.Where(i => bucket.Slots[i].Shape.Length < 2).ToArray();
        plan = new Plan(included.ToArray(), Chains(bucket, matrices), vectors);
        _plans[bucket] = plan;
        return plan;
    }

    /// <summary>
    /// Splits the matrices (tensors of two or more dimensions) into chains: same shape, and offsets (parameter, row and
    /// column variance) in arithmetic progression with one stride each, so that a chain is a strided view of every flat
    /// buffer.
    /// </summary>
    private static List<Chain> Chains(FlatBucket bucket, List<int> matrices)
    {
        var chains = new List<Chain>();
        foreach (IGrouping<string, int> sameShape in matrices.GroupBy(i => string.Join(",", bucket.Slots[i].Shape)))
        {
            Slot first = bucket.Slots[sameShape.First()];
            long[] shape = { first.Numel / (first.Shape[^2] * first.Shape[^1]), first.Shape[^2], first.Shape[^1] };
            // Slot order is offset order in every buffer.
            var members = sameShape
                .Select(i => (Slot: i, Offsets: new[] { bucket.Slots[i].Offset, bucket.StateOffset(s_rowVar, i)!.Value, bucket.StateOffset(s_colVar, i)!.Value }))
                .ToList();
            while (members.Count > 0)
            {
                List<int> progression = LongestProgression(members.Select(e => e.Offsets).ToList());
                long[] origin = members[progression[0]].Offsets;
                long[] strides = progression.Count > 1
                    ? members[progression[1]].Offsets.Zip(origin, (a, b) => a - b).ToArray()
                    : new long[origin.Length];
                chains.Add(new Chain(progression.Select(j => members[j].Slot).ToArray(), shape, first.Numel, origin, strides));
                foreach (int j in progression.OrderByDescending(j => j))
                {
                    members.RemoveAt(j);
                }
            }
        }
        return chains;
    }

    /// <summary>
    /// The longest arithmetic progression (of offset vectors) that starts at the first entry: e.g. the query weights of
    /// all layers rather than one layer's query, key, value and output weights. Entries ascend in every component.
    /// </summary>
    private static List<int> LongestProgression(List<long[]> offsets)
    {
        var best = new List<int> { 0 };
        for (int second = 1; second < offsets.Count && best.Count < offsets.Count; second++)
        {
            long[] stride = offsets[second].Zip(offsets[0], (a, b) => a - b).ToArray();
            var progression = new List<int> { 0, second };
            for (int j = second + 1; j < offsets.Count; j++)
            {
                long[] last = offsets[progression[^1]];
                bool next = true;
                for (int d = 0; d < stride.Length && next; d++)
                {
                    next = offsets[j][d] - last[d] == stride[d];
                }
                if (next)
                {
                    progression.Add(j);
                }
            }
            if (progression.Count > best.Count)
            {
                best = progression;
            }
        }
        return best;
    }

    /// <summary>The slots with a gradient and how they batch: chains of matrices, and the vectors.</summary>
    private sealed record Plan(int[] Slots, List<Chain> Chains, int[] Vectors);

    /// <summary>
    /// Equally shaped slots whose offsets advance by fixed strides: part 0 the parameter (and gradient) buffer, 1 the row
    /// variance, 2 the column variance. <see cref="Shape"/> is each tensor's <c>[m, rows, cols]</c> (leading dimensions
    /// merged).
    /// </summary>
    private sealed record Chain(int[] Slots, long[] Shape, long Numel, long[] Origin, long[] Strides);

    /// <summary>
    /// Vector slots and where their elements are: in the parameter and gradient buffers, in the variance buffer, and the
    /// owning slot's position in <see cref="Slots"/> for every element (to sum per tensor). Built each step (a few
    /// microseconds per thousand elements) rather than kept: kept, the indices would outweigh Adafactor's state on BERT.
    /// </summary>
    private sealed class VectorSet
    {
        private VectorSet(int[] slots, long[] numels, Tensor positions, Tensor variancePositions, Tensor owners)
        {
            Slots = slots;
            Numels = numels;
            Positions = positions;
            VariancePositions = variancePositions;
            Owners = owners;
        }

        public int[] Slots { get; }

        public long[] Numels { get; }

        public Tensor Positions { get; }

        public Tensor VariancePositions { get; }

        public Tensor Owners { get; }

        public static VectorSet Of(FlatBucket bucket, int[] slots)
        {
            long total = slots.Sum(i => bucket.Slots[i].Numel);
            var positions = new long[total];
            var variancePositions = new long[total];
            var owners = new long[total];
            long at = 0;
            for (int k = 0; k < slots.Length; k++)
            {
                Slot slot = bucket.Slots[slots[k]];
                long variance = bucket.StateOffset(s_variance, slots[k])!.Value;
                for (long e = 0; e < slot.Numel; e++, at++)
                {
                    positions[at] = slot.Offset + e;
                    variancePositions[at] = variance + e;
                    owners[at] = k;
                }
            }
            return new VectorSet(
                slots, slots.Select(i => bucket.Slots[i].Numel).ToArray(),
                Index(positions, bucket.Device), Index(variancePositions, bucket.Device), Index(owners, bucket.Device));
        }

        private static Tensor Index(long[] values, Device device)
        {
            using Tensor host = torch.tensor(values, ScalarType.Int64);
            return host.to(device);
        }
    }

    /// <summary><see cref="Count"/> consecutive slots of a chain from <see cref="Start"/>, at their <see cref="Step"/> (1-based).</summary>
    private readonly record struct Batch(Chain Chain, int Start, int Count, long Step)
    {
        /// <summary>The batch in <paramref name="flat"/> as <c>[Count, shape...]</c>, shape contiguous, tensors a stride apart.</summary>
        public Tensor View(Tensor flat, int part, long[] shape)
        {
            var sizes = new long[shape.Length + 1];
            var strides = new long[sizes.Length];
            sizes[0] = Count;
            strides[0] = Chain.Strides[part];
            shape.CopyTo(sizes, 1);
            long stride = 1;
            for (int d = sizes.Length - 1; d >= 1; d--)
            {
                strides[d] = stride;
                stride *= sizes[d];
            }
            long offset = Chain.Origin[part] + Start * Chain.Strides[part];
            return flat.as_strided(sizes, strides, flat.storage_offset() + offset);
        }

        /// <summary>Each tensor's element count (all the same).</summary>
        public long[] Numels => Enumerable.Repeat(Chain.Numel, Count).ToArray();

        /// <summary>Per-tensor values as a tensor that broadcasts over the batch's <c>[Count, m, rows, cols]</c> views.</summary>
        public Tensor Broadcast(double[] values, FlatBucket bucket) => InBucketType(values, bucket).view(Count, 1, 1, 1);
    }

    /// <summary>What every batch of one bucket's step shares.</summary>
    private sealed record StepContext(FlatBucket Bucket, double LearningRate, double WeightDecay, double Eps1, Tensor RowVars, Tensor ColVars, Tensor Variances)
    {
        /// <summary>Decoupled weight decay, p *= 1 − lr·wd, after the parameter norm is taken.</summary>
        public void Decay(Tensor p)
        {
            if (WeightDecay != 0)
            {
                using Scalar decay = (1 - LearningRate * WeightDecay).ToScalar();
                p.mul_(decay);
            }
        }
    }
}
